"""API tags "Dane testowe" and the test part of "Limity i ograniczenia": only on TEST and our own server."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from ksef_mcu.client._core import ApiRequest, Auth, Flow, call
from ksef_mcu.client._faces import D, Face, operation
from ksef_mcu.client.errors import KsefInvalidInputError
from ksef_mcu.client.models.common import parse_enum
from ksef_mcu.client.models.testdata import (
    CertificateLimitsOverride,
    PermissionsGrantRequest,
    PersonCreateRequest,
    SubjectCreateRequest,
    SubjectType,
    Subunit,
    TestDataPermission,
    check_nip,
)
from ksef_mcu.crypto.errors import XadesError
from ksef_mcu.crypto.xades.request import check_context_value
from ksef_mcu.identifiers import ContextIdentifier, ContextIdentifierType, SubjectIdentifier

__all__ = ["TestdataOperations"]


class TestdataOperations(Face[D]):
    """Test data: subjects, persons, permissions, context blocks, certificate limits.

    KSeF offers these on TEST only (and our server in its test mode); DEMO and PROD answer 404. Only restoring the
    limits (a DELETE) is retried after 429/5xx; the others change the test data and are sent once.
    """

    __test__ = False  # not a pytest test class, despite its name

    @operation
    def create_subject(
        self,
        nip: str,
        subject_type: SubjectType | str,
        description: str,
        *,
        subunits: Sequence[Subunit] = (),
        created_date: datetime | None = None,
    ) -> Flow[None]:
        """`POST /testdata/subject`: a VAT group, a JST or an enforcement authority (`subject_type`), with optional
        subunits. `description` has 5–256 characters; `created_date` (timezone-aware) dates the subject back."""
        kind = parse_enum(SubjectType, subject_type, field="subject_type", label="typu podmiotu")
        body = SubjectCreateRequest(nip, kind, description, subunits, created_date)
        yield from call(self._state, ApiRequest("POST", "/testdata/subject", json=body.to_json()))

    @operation
    def remove_subject(self, nip: str) -> Flow[None]:
        """`POST /testdata/subject/remove`: the subject, its subunits and what was granted in its context."""
        body = {"subjectNip": check_nip(nip)}
        yield from call(self._state, ApiRequest("POST", "/testdata/subject/remove", json=body))

    @operation
    def create_person(
        self,
        nip: str,
        pesel: str,
        description: str,
        *,
        is_bailiff: bool = False,
        is_deceased: bool = False,
        created_date: datetime | None = None,
    ) -> Flow[None]:
        """`POST /testdata/person`: a natural person whose NIP and PESEL belong together (a bailiff, or deceased,
        when asked); `description` has 5–256 characters."""
        body = PersonCreateRequest(nip, pesel, description, is_bailiff, is_deceased, created_date)
        yield from call(self._state, ApiRequest("POST", "/testdata/person", json=body.to_json()))

    @operation
    def remove_person(self, nip: str) -> Flow[None]:
        """`POST /testdata/person/remove`."""
        body = {"nip": check_nip(nip)}
        yield from call(self._state, ApiRequest("POST", "/testdata/person/remove", json=body))

    @operation
    def grant_permissions(
        self, context_nip: str, authorized: SubjectIdentifier, permissions: Sequence[TestDataPermission]
    ) -> Flow[None]:
        """`POST /testdata/permissions`: `authorized` (NIP, PESEL or certificate fingerprint) gets `permissions` in
        the context of `context_nip`, as if granted on a ZAW-FA form."""
        if not permissions:
            raise KsefInvalidInputError("Podaj co najmniej jedno uprawnienie.", field="permissions")
        body = PermissionsGrantRequest(context_nip, authorized, permissions)
        yield from call(self._state, ApiRequest("POST", "/testdata/permissions", json=body.to_json()))

    @operation
    def revoke_permissions(self, context_nip: str, authorized: SubjectIdentifier) -> Flow[None]:
        """`POST /testdata/permissions/revoke`: every test permission of `authorized` in `context_nip`."""
        body = PermissionsGrantRequest(context_nip, authorized).to_json(with_permissions=False)
        yield from call(self._state, ApiRequest("POST", "/testdata/permissions/revoke", json=body))

    @operation
    def allow_attachments(self, nip: str) -> Flow[None]:
        """`POST /testdata/attachment`: the NIP context may issue invoices with attachments (what a consent filed in
        e-Urząd Skarbowy does in production), without an end."""
        body = {"nip": check_nip(nip)}
        yield from call(self._state, ApiRequest("POST", "/testdata/attachment", json=body))

    @operation
    def end_attachments(self, nip: str, *, end_date: date | None = None) -> Flow[None]:
        """`POST /testdata/attachment/revoke`: the consent ends now, or when `end_date` (a Polish calendar day, not
        in the past) begins."""
        body: dict[str, str] = {"nip": check_nip(nip)}
        if end_date is not None:
            body["expectedEndDate"] = end_date.isoformat()
        yield from call(self._state, ApiRequest("POST", "/testdata/attachment/revoke", json=body))

    @operation
    def block_context(self, context: ContextIdentifier) -> Flow[None]:
        """`POST /testdata/context/block`: logins into `context` end with status 480 until it is unblocked."""
        yield from call(self._state, ApiRequest("POST", "/testdata/context/block", json=_context_body(context)))

    @operation
    def unblock_context(self, context: ContextIdentifier) -> Flow[None]:
        """`POST /testdata/context/unblock`."""
        yield from call(self._state, ApiRequest("POST", "/testdata/context/unblock", json=_context_body(context)))

    @operation
    def set_certificate_limits(
        self, *, max_enrollments: int | None = None, max_certificates: int | None = None
    ) -> Flow[None]:
        """`POST /testdata/limits/subject/certificate`: new limits for the logged-in subject (None keeps one)."""
        body = CertificateLimitsOverride(max_enrollments, max_certificates).to_json()
        path = "/testdata/limits/subject/certificate"
        yield from call(self._state, ApiRequest("POST", path, auth=Auth.ACCESS, json=body))

    @operation
    def restore_certificate_limits(self) -> Flow[None]:
        """`DELETE /testdata/limits/subject/certificate`: the logged-in subject's default limits again."""
        path = "/testdata/limits/subject/certificate"
        yield from call(self._state, ApiRequest("DELETE", path, auth=Auth.ACCESS, idempotent=True))


def _context_body(context: ContextIdentifier) -> dict[str, object]:
    try:
        kind = ContextIdentifierType(context.type)
        check_context_value(kind, context.value)
    except XadesError as error:
        raise KsefInvalidInputError(error.details[0] if error.details else error.message, field="context") from error
    except (ValueError, AttributeError) as error:
        raise KsefInvalidInputError(f"Nieprawidłowy kontekst: {context!r}", field="context") from error
    return {"contextIdentifier": {"type": kind.value, "value": context.value}}
