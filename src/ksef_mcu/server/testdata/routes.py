"""`/v2/testdata/*`: the official TEST environment's way to set up subjects, persons, permissions and blocked
contexts (sandbox mode only). HTTP only: each route reads its input, makes one service call and shapes the answer."""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import APIRouter, Depends, Response

from ksef_mcu.identifiers import ContextIdentifier, ContextIdentifierType, SubjectIdentifier, SubjectIdentifierType
from ksef_mcu.server.errors import InputValidationError
from ksef_mcu.server.http.deps import HttpComponents, PublicRateLimit, get_components, rate_limit_by_ip
from ksef_mcu.server.permissions.model import Grant
from ksef_mcu.server.testdata.schemas import (
    AttachmentPermissionGrantRequest,
    AttachmentPermissionRevokeRequest,
    ContextAuthenticationBlockRequest,
    PersonCreateRequest,
    PersonRemoveRequest,
    SubjectCreateRequest,
    SubjectRemoveRequest,
    TestDataPermissionsGrantRequest,
    TestDataPermissionsRevokeRequest,
)
from ksef_mcu.server.testdata.service import PersonSpec, SubjectSpec, SubunitSpec, TestDataService


class TestDataComponents(HttpComponents, Protocol):
    """What these routes read from the components."""

    @property
    def testdata(self) -> TestDataService: ...


Components = Annotated[TestDataComponents, Depends(get_components)]

testdata_router = APIRouter(prefix="/v2", tags=["Dane testowe"])


def _ok() -> Response:
    return Response(status_code=200)


@testdata_router.post("/testdata/subject", summary="Utworzenie podmiotu", dependencies=[PublicRateLimit])
def create_subject(components: Components, body: SubjectCreateRequest) -> Response:
    components.testdata.create_subject(
        SubjectSpec(
            nip=body.subject_nip,
            subject_type=body.subject_type.value,
            description=body.description,
            subunits=tuple(SubunitSpec(s.subject_nip, s.description) for s in body.subunits or ()),
            created_date=body.created_date,
        )
    )
    return _ok()


@testdata_router.post("/testdata/subject/remove", summary="Usunięcie podmiotu", dependencies=[PublicRateLimit])
def remove_subject(components: Components, body: SubjectRemoveRequest) -> Response:
    components.testdata.remove_subject(body.subject_nip)
    return _ok()


@testdata_router.post("/testdata/person", summary="Utworzenie osoby fizycznej", dependencies=[PublicRateLimit])
def create_person(components: Components, body: PersonCreateRequest) -> Response:
    components.testdata.create_person(
        PersonSpec(
            nip=body.nip,
            pesel=body.pesel,
            is_bailiff=body.is_bailiff,
            description=body.description,
            is_deceased=bool(body.is_deceased),
            created_date=body.created_date,
        )
    )
    return _ok()


@testdata_router.post("/testdata/person/remove", summary="Usunięcie osoby fizycznej", dependencies=[PublicRateLimit])
def remove_person(components: Components, body: PersonRemoveRequest) -> Response:
    components.testdata.remove_person(body.nip)
    return _ok()


def _authorized(body: TestDataPermissionsGrantRequest | TestDataPermissionsRevokeRequest) -> SubjectIdentifier:
    return SubjectIdentifier(
        SubjectIdentifierType(body.authorized_identifier.type.value), body.authorized_identifier.value
    )


def _nip_context(body: TestDataPermissionsGrantRequest | TestDataPermissionsRevokeRequest) -> ContextIdentifier:
    return ContextIdentifier(ContextIdentifierType.NIP, body.context_identifier.value)


@testdata_router.post(
    "/testdata/permissions", summary="Nadanie uprawnień testowemu podmiotowi", dependencies=[PublicRateLimit]
)
def grant_permissions(components: Components, body: TestDataPermissionsGrantRequest) -> Response:
    components.testdata.grant_permissions(
        _nip_context(body),
        _authorized(body),
        [Grant(permission.permission_type.value, permission.description) for permission in body.permissions],
    )
    return _ok()


@testdata_router.post(
    "/testdata/permissions/revoke", summary="Odebranie uprawnień testowemu podmiotowi", dependencies=[PublicRateLimit]
)
def revoke_permissions(components: Components, body: TestDataPermissionsRevokeRequest) -> Response:
    components.testdata.revoke_permissions(_nip_context(body), _authorized(body))
    return _ok()


@testdata_router.post(
    "/testdata/attachment",
    summary="Umożliwienie wysyłania faktur z załącznikiem",
    dependencies=[PublicRateLimit],
)
def allow_attachments(components: Components, body: AttachmentPermissionGrantRequest) -> Response:
    components.testdata.allow_attachments(body.nip)
    return _ok()


@testdata_router.post(
    "/testdata/attachment/revoke",
    summary="Odebranie możliwości wysyłania faktur z załącznikiem",
    dependencies=[PublicRateLimit],
)
def end_attachments(components: Components, body: AttachmentPermissionRevokeRequest) -> Response:
    components.testdata.end_attachments(body.nip, body.expected_end_date)
    return _ok()


def _blocked_context(body: ContextAuthenticationBlockRequest) -> ContextIdentifier:
    if body.context_identifier is None:
        raise InputValidationError("contextIdentifier: pole jest wymagane")
    context = ContextIdentifier(
        ContextIdentifierType(body.context_identifier.type.value), body.context_identifier.value
    )
    if not context.is_well_formed():
        raise InputValidationError(f"contextIdentifier.value: nieprawidłowy identyfikator typu {context.type.value}")
    return context


@testdata_router.post(
    "/testdata/context/block",
    summary="Zablokowanie możliwości uwierzytelnienia dla kontekstu",
    dependencies=[Depends(rate_limit_by_ip("other"))],
)
def block_context(components: Components, body: ContextAuthenticationBlockRequest) -> Response:
    components.testdata.block_context(_blocked_context(body))
    return _ok()


@testdata_router.post(
    "/testdata/context/unblock",
    summary="Odblokowanie możliwości uwierzytelnienia dla kontekstu",
    dependencies=[Depends(rate_limit_by_ip("other"))],
)
def unblock_context(components: Components, body: ContextAuthenticationBlockRequest) -> Response:
    components.testdata.unblock_context(_blocked_context(body))
    return _ok()
