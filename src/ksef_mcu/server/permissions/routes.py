"""`/v2/permissions/*`: grants, revocations, their operations, and the queries.

HTTP only: each route reads its input, makes one service call and shapes the answer. Which permissions each operation
requires is not checked here but by `AccessPrincipal`, from the one table in `permissions/required.py`.
"""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import APIRouter, Depends, Path, Query, Response

from ksef_mcu.server.auth.deps import AccessPrincipal
from ksef_mcu.server.http.deps import HttpComponents, get_components, json_response, run_service
from ksef_mcu.server.http.schemas import INT32_MAX
from ksef_mcu.server.permissions.model import Identifier, Page, PermissionState
from ksef_mcu.server.permissions.schemas import (
    CheckAttachmentPermissionStatusResponse,
    EntityAuthorizationPermissionsGrantRequest,
    EntityAuthorizationPermissionsQueryRequest,
    EntityPermissionsGrantRequest,
    EntityPermissionsQueryRequest,
    EntityRoleModel,
    EuEntityAdministrationPermissionsGrantRequest,
    EuEntityPermissionsGrantRequest,
    EuEntityPermissionsQueryRequest,
    IdentifierModel,
    IndirectPermissionsGrantRequest,
    PermissionsOperationResponse,
    PermissionsOperationStatusResponse,
    PersonalPermissionsQueryRequest,
    PersonPermissionsGrantRequest,
    PersonPermissionsQueryRequest,
    PersonQueryType,
    QueryEntityAuthorizationPermissionsResponse,
    QueryEntityPermissionsResponse,
    QueryEntityRolesResponse,
    QueryEuEntityPermissionsResponse,
    QueryPersonalPermissionsResponse,
    QueryPersonPermissionsResponse,
    QuerySubordinateEntityRolesResponse,
    QuerySubunitPermissionsResponse,
    StatusModel,
    SubordinateEntityRoleModel,
    SubordinateEntityRolesQueryRequest,
    SubunitPermissionsGrantRequest,
    SubunitPermissionsQueryRequest,
    authorization_item,
    entity_item,
    eu_item,
    person_item,
    personal_item,
    subunit_item,
)
from ksef_mcu.server.permissions.service import PermissionService


class PermissionComponents(HttpComponents, Protocol):
    """What these routes read from the components."""

    @property
    def permission_service(self) -> PermissionService: ...


Services = Annotated[PermissionComponents, Depends(get_components)]
ReferenceNumberPath = Annotated[str, Path(alias="referenceNumber", min_length=36, max_length=36)]
PermissionIdPath = Annotated[str, Path(alias="permissionId", min_length=36, max_length=36)]
PageOffset = Annotated[int, Query(alias="pageOffset", ge=0, le=INT32_MAX)]
PageSize = Annotated[int, Query(alias="pageSize", ge=10, le=100)]

grants_router = APIRouter(prefix="/v2", tags=["Nadawanie uprawnień"])
revocations_router = APIRouter(prefix="/v2", tags=["Odbieranie uprawnień"])
operations_router = APIRouter(prefix="/v2", tags=["Operacje"])
queries_router = APIRouter(prefix="/v2", tags=["Wyszukiwanie nadanych uprawnień"])


def _accepted(reference_number: str) -> Response:
    return json_response(PermissionsOperationResponse(reference_number=reference_number), status_code=202)


# --- grants ---------------------------------------------------------------------------------------------------------


@grants_router.post(
    "/permissions/persons/grants",
    summary="Nadanie osobom fizycznym uprawnień do pracy w KSeF",
    status_code=202,
    response_model=PermissionsOperationResponse,
)
async def grant_to_persons(
    services: Services, principal: AccessPrincipal, body: PersonPermissionsGrantRequest
) -> Response:
    service = services.permission_service
    subject = body.subject()
    permissions = [p.value for p in body.permissions]
    reference = await run_service(services, service.grant_to_person, principal, subject, permissions, body.description)
    return _accepted(reference)


@grants_router.post(
    "/permissions/entities/grants",
    summary="Nadanie podmiotom uprawnień do obsługi faktur",
    status_code=202,
    response_model=PermissionsOperationResponse,
)
async def grant_to_entities(
    services: Services, principal: AccessPrincipal, body: EntityPermissionsGrantRequest
) -> Response:
    permissions = [(p.type.value, bool(p.can_delegate)) for p in body.permissions]
    reference = await run_service(
        services, services.permission_service.grant_to_entity, principal, body.subject(), permissions, body.description
    )
    return _accepted(reference)


@grants_router.post(
    "/permissions/authorizations/grants",
    summary="Nadanie uprawnień podmiotowych",
    status_code=202,
    response_model=PermissionsOperationResponse,
)
async def grant_authorization(
    services: Services, principal: AccessPrincipal, body: EntityAuthorizationPermissionsGrantRequest
) -> Response:
    reference = await run_service(
        services,
        services.permission_service.grant_authorization,
        principal,
        body.subject(),
        body.permission.value,
        body.description,
    )
    return _accepted(reference)


@grants_router.post(
    "/permissions/indirect/grants",
    summary="Nadanie uprawnień w sposób pośredni",
    status_code=202,
    response_model=PermissionsOperationResponse,
)
async def grant_indirectly(
    services: Services, principal: AccessPrincipal, body: IndirectPermissionsGrantRequest
) -> Response:
    reference = await run_service(
        services,
        services.permission_service.grant_indirectly,
        principal,
        body.subject(),
        body.target(),
        [p.value for p in body.permissions],
        body.description,
    )
    return _accepted(reference)


@grants_router.post(
    "/permissions/subunits/grants",
    summary="Nadanie uprawnień administratora podmiotu podrzędnego",
    status_code=202,
    response_model=PermissionsOperationResponse,
)
async def grant_subunit_administrator(
    services: Services, principal: AccessPrincipal, body: SubunitPermissionsGrantRequest
) -> Response:
    unit = Identifier(body.context_identifier.type.value, body.context_identifier.value)
    reference = await run_service(
        services,
        services.permission_service.grant_subunit_administrator,
        principal,
        body.subject(),
        unit,
        body.subunit_name,
        body.description,
    )
    return _accepted(reference)


@grants_router.post(
    "/permissions/eu-entities/administration/grants",
    summary="Nadanie uprawnień administratora podmiotu unijnego",
    status_code=202,
    response_model=PermissionsOperationResponse,
)
async def grant_eu_administrator(
    services: Services, principal: AccessPrincipal, body: EuEntityAdministrationPermissionsGrantRequest
) -> Response:
    context = Identifier(body.context_identifier.type.value, body.context_identifier.value)
    reference = await run_service(
        services,
        services.permission_service.grant_eu_administrator,
        principal,
        body.subject(),
        context,
        body.description,
        body.extra(),
    )
    return _accepted(reference)


@grants_router.post(
    "/permissions/eu-entities/grants",
    summary="Nadanie uprawnień reprezentanta podmiotu unijnego",
    status_code=202,
    response_model=PermissionsOperationResponse,
)
async def grant_eu_representative(
    services: Services, principal: AccessPrincipal, body: EuEntityPermissionsGrantRequest
) -> Response:
    reference = await run_service(
        services,
        services.permission_service.grant_eu_representative,
        principal,
        body.subject(),
        [p.value for p in body.permissions],
        body.description,
    )
    return _accepted(reference)


# --- revocations ----------------------------------------------------------------------------------------------------


@revocations_router.delete(
    "/permissions/common/grants/{permissionId}",
    summary="Odebranie uprawnień",
    status_code=202,
    response_model=PermissionsOperationResponse,
)
async def revoke_common(services: Services, principal: AccessPrincipal, permission_id: PermissionIdPath) -> Response:
    reference = await run_service(services, services.permission_service.revoke, principal, permission_id)
    return _accepted(reference)


@revocations_router.delete(
    "/permissions/authorizations/grants/{permissionId}",
    summary="Odebranie uprawnień podmiotowych",
    status_code=202,
    response_model=PermissionsOperationResponse,
)
async def revoke_authorization(
    services: Services, principal: AccessPrincipal, permission_id: PermissionIdPath
) -> Response:
    reference = await run_service(
        services, services.permission_service.revoke, principal, permission_id, authorization=True
    )
    return _accepted(reference)


# --- operations -----------------------------------------------------------------------------------------------------


@operations_router.get(
    "/permissions/operations/{referenceNumber}",
    summary="Pobranie statusu operacji",
    response_model=PermissionsOperationStatusResponse,
)
def operation_status(services: Services, principal: AccessPrincipal, reference_number: ReferenceNumberPath) -> Response:
    record = services.permission_service.operation(principal, reference_number)
    outcome = record.outcome
    status = StatusModel(code=int(outcome.code), description=outcome.description, details=list(outcome.details) or None)
    return json_response(PermissionsOperationStatusResponse(status=status))


@operations_router.get(
    "/permissions/attachments/status",
    summary="Sprawdzenie statusu zgody na wystawianie faktur z załącznikiem",
    response_model=CheckAttachmentPermissionStatusResponse,
)
def attachment_status(services: Services, principal: AccessPrincipal) -> Response:
    status = services.permission_service.attachment_status(principal)
    return json_response(
        CheckAttachmentPermissionStatusResponse(is_attachment_allowed=status.allowed, revoked_date=status.ends_at)
    )


# --- queries --------------------------------------------------------------------------------------------------------


def _state(value: object) -> PermissionState | None:
    return PermissionState(str(getattr(value, "value", value))) if value is not None else None


@queries_router.post(
    "/permissions/query/personal/grants",
    summary="Pobranie listy własnych uprawnień",
    response_model=QueryPersonalPermissionsResponse,
)
def query_personal(
    services: Services,
    principal: AccessPrincipal,
    body: PersonalPermissionsQueryRequest | None = None,
    page_offset: PageOffset = 0,
    page_size: PageSize = 10,
) -> Response:
    body = body or PersonalPermissionsQueryRequest()
    page: Page = services.permission_service.query_personal(
        principal,
        context=body.context_identifier.identifier() if body.context_identifier else None,
        target=body.target_identifier.identifier() if body.target_identifier else None,
        permission_types=[p.value for p in body.permission_types] if body.permission_types is not None else None,
        state=_state(body.permission_state),
        page_offset=page_offset,
        page_size=page_size,
    )
    me = Identifier.of(principal.subject)
    items = [personal_item(item, me) for item in page.items]
    return json_response(QueryPersonalPermissionsResponse(permissions=items, has_more=page.has_more))


@queries_router.post(
    "/permissions/query/persons/grants",
    summary="Pobranie listy uprawnień do pracy w KSeF nadanych osobom fizycznym lub podmiotom",
    response_model=QueryPersonPermissionsResponse,
)
def query_persons(
    services: Services,
    principal: AccessPrincipal,
    body: PersonPermissionsQueryRequest,
    page_offset: PageOffset = 0,
    page_size: PageSize = 10,
) -> Response:
    page = services.permission_service.query_persons(
        principal,
        granted_here=body.query_type is PersonQueryType.GRANTED_IN_CURRENT_CONTEXT,
        author=body.author_identifier.identifier() if body.author_identifier else None,
        authorized=body.authorized_identifier.identifier() if body.authorized_identifier else None,
        context=body.context_identifier.identifier() if body.context_identifier else None,
        target=body.target_identifier.identifier() if body.target_identifier else None,
        permission_types=[p.value for p in body.permission_types] if body.permission_types is not None else None,
        state=_state(body.permission_state),
        page_offset=page_offset,
        page_size=page_size,
    )
    items = [person_item(item) for item in page.items]
    return json_response(QueryPersonPermissionsResponse(permissions=items, has_more=page.has_more))


@queries_router.post(
    "/permissions/query/subunits/grants",
    summary="Pobranie listy uprawnień administratorów jednostek i podmiotów podrzędnych",
    response_model=QuerySubunitPermissionsResponse,
)
def query_subunits(
    services: Services,
    principal: AccessPrincipal,
    body: SubunitPermissionsQueryRequest | None = None,
    page_offset: PageOffset = 0,
    page_size: PageSize = 10,
) -> Response:
    body = body or SubunitPermissionsQueryRequest()
    unit = body.subunit_identifier
    page = services.permission_service.query_subunits(
        principal,
        subunit=unit.identifier() if unit else None,
        page_offset=page_offset,
        page_size=page_size,
    )
    items = [subunit_item(item) for item in page.items]
    return json_response(QuerySubunitPermissionsResponse(permissions=items, has_more=page.has_more))


@queries_router.post(
    "/permissions/query/entities/grants",
    summary="Pobranie listy uprawnień do obsługi faktur w bieżącym kontekście",
    response_model=QueryEntityPermissionsResponse,
)
def query_entities(
    services: Services,
    principal: AccessPrincipal,
    body: EntityPermissionsQueryRequest | None = None,
    page_offset: PageOffset = 0,
    page_size: PageSize = 10,
) -> Response:
    body = body or EntityPermissionsQueryRequest()
    page = services.permission_service.query_entities(
        principal,
        context=body.context_identifier.identifier() if body.context_identifier else None,
        page_offset=page_offset,
        page_size=page_size,
    )
    items = [entity_item(item) for item in page.items]
    return json_response(QueryEntityPermissionsResponse(permissions=items, has_more=page.has_more))


@queries_router.get(
    "/permissions/query/entities/roles",
    summary="Pobranie listy ról podmiotu",
    response_model=QueryEntityRolesResponse,
)
def query_entity_roles(
    services: Services, principal: AccessPrincipal, page_offset: PageOffset = 0, page_size: PageSize = 10
) -> Response:
    roles, has_more = services.permission_service.entity_roles(principal, page_offset=page_offset, page_size=page_size)
    items = [
        EntityRoleModel(
            parent_entity_identifier=IdentifierModel(type="Nip", value=role.parent_nip) if role.parent_nip else None,
            role=role.role,
            description=role.description,
            start_date=role.start_date,
        )
        for role in roles
    ]
    return json_response(QueryEntityRolesResponse(roles=items, has_more=has_more))


@queries_router.post(
    "/permissions/query/subordinate-entities/roles",
    summary="Pobranie listy podmiotów podrzędnych",
    response_model=QuerySubordinateEntityRolesResponse,
)
def query_subordinate_roles(
    services: Services,
    principal: AccessPrincipal,
    body: SubordinateEntityRolesQueryRequest | None = None,
    page_offset: PageOffset = 0,
    page_size: PageSize = 10,
) -> Response:
    body = body or SubordinateEntityRolesQueryRequest()
    wanted = body.subordinate_entity_identifier
    roles, has_more = services.permission_service.subordinate_roles(
        principal, subordinate=wanted.value if wanted else None, page_offset=page_offset, page_size=page_size
    )
    items = [
        SubordinateEntityRoleModel(
            subordinate_entity_identifier=IdentifierModel(type="Nip", value=role.entity_nip),
            role=role.role,
            description=role.description,
            start_date=role.start_date,
        )
        for role in roles
    ]
    return json_response(QuerySubordinateEntityRolesResponse(roles=items, has_more=has_more))


@queries_router.post(
    "/permissions/query/authorizations/grants",
    summary="Pobranie listy uprawnień podmiotowych do obsługi faktur",
    response_model=QueryEntityAuthorizationPermissionsResponse,
)
def query_authorizations(
    services: Services,
    principal: AccessPrincipal,
    body: EntityAuthorizationPermissionsQueryRequest,
    page_offset: PageOffset = 0,
    page_size: PageSize = 10,
) -> Response:
    authorizing = body.authorizing_identifier
    authorized = body.authorized_identifier
    page = services.permission_service.query_authorizations(
        principal,
        received=body.query_type.value == "Received",
        authorizing=Identifier("Nip", authorizing.value) if authorizing else None,
        authorized=Identifier(authorized.type.value, authorized.value) if authorized else None,
        permission_types=[p.value for p in body.permission_types] if body.permission_types is not None else None,
        page_offset=page_offset,
        page_size=page_size,
    )
    items = [authorization_item(item) for item in page.items]
    return json_response(
        QueryEntityAuthorizationPermissionsResponse(authorization_grants=items, has_more=page.has_more)
    )


@queries_router.post(
    "/permissions/query/eu-entities/grants",
    summary="Pobranie listy uprawnień administratorów lub reprezentantów podmiotów unijnych",
    response_model=QueryEuEntityPermissionsResponse,
)
def query_eu_entities(
    services: Services,
    principal: AccessPrincipal,
    body: EuEntityPermissionsQueryRequest | None = None,
    page_offset: PageOffset = 0,
    page_size: PageSize = 10,
) -> Response:
    body = body or EuEntityPermissionsQueryRequest()
    page = services.permission_service.query_eu_entities(
        principal,
        vat_ue=body.vat_ue_identifier,
        fingerprint=body.authorized_fingerprint_identifier,
        permission_types=[p.value for p in body.permission_types] if body.permission_types is not None else None,
        page_offset=page_offset,
        page_size=page_size,
    )
    items = [eu_item(item) for item in page.items]
    return json_response(QueryEuEntityPermissionsResponse(permissions=items, has_more=page.has_more))


permission_routers = [grants_router, revocations_router, operations_router, queries_router]
