"""API tags "Nadawanie uprawnień", "Odbieranie uprawnień", "Operacje", "Wyszukiwanie nadanych uprawnień"."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ksef_mcu.client._core import ApiRequest, Auth, ClientState, Flow, call, parse_model
from ksef_mcu.client._faces import D, Face, Page, listing, operation
from ksef_mcu.client._operations.polling import poll
from ksef_mcu.client.errors import KsefInvalidInputError
from ksef_mcu.client.models.permissions import (
    AttachmentPermissionStatus,
    EntityRole,
    EntityRolePage,
    GrantedPermission,
    PermissionPage,
    PermissionsOperation,
    PermissionsOperationStatus,
)
from ksef_mcu.client.validation import validate_page_size, validate_reference_number, validate_timeout
from ksef_mcu.crypto.certificates import SubjectIdentifier

__all__ = ["PermissionsOperations", "person_details"]

PAGE_SIZE_MIN, PAGE_SIZE_MAX = 10, 100
OPERATION_TIMEOUT = 60.0


def person_details(first_name: str, last_name: str) -> dict[str, Any]:
    """`subjectDetails` of a person named by NIP or PESEL (`PersonByIdentifier`)."""
    for field, value, longest in (("first_name", first_name, 30), ("last_name", last_name, 81)):
        if not isinstance(value, str) or not 2 <= len(value.strip()) <= longest:
            raise KsefInvalidInputError(f"Imię i nazwisko: od 2 do {longest} znaków (podano {value!r}).", field=field)
    return {
        "subjectDetailsType": "PersonByIdentifier",
        "personById": {"firstName": first_name.strip(), "lastName": last_name.strip()},
    }


def _description(description: str) -> str:
    if not isinstance(description, str) or not 5 <= len(description) <= 256:
        raise KsefInvalidInputError("Opis uprawnienia musi mieć od 5 do 256 znaków.", field="description")
    return description


def _subject(identifier: SubjectIdentifier) -> dict[str, str]:
    return {"type": identifier.type.value, "value": identifier.value}


def _permission_id(permission_id: str) -> str:
    if not isinstance(permission_id, str) or len(permission_id.strip()) != 36:
        raise KsefInvalidInputError(
            f"Identyfikator uprawnienia ma 36 znaków (podano {permission_id!r}).", field="permission_id"
        )
    return permission_id.strip()


class PermissionsOperations(Face[D]):
    """Permissions: grants (each an operation to follow), revocations, and the queries."""

    # --- grants ---------------------------------------------------------------------------------------------------

    def _grant(self, path: str, body: Mapping[str, Any]) -> Flow[PermissionsOperation]:
        request = ApiRequest("POST", path, auth=Auth.ACCESS, json=dict(body))
        return parse_model((yield from call(self._state, request)), PermissionsOperation, request)

    @operation
    def grant_to_person(
        self,
        subject: SubjectIdentifier,
        permissions: Sequence[str],
        description: str,
        *,
        first_name: str = "",
        last_name: str = "",
        subject_details: Mapping[str, Any] | None = None,
    ) -> Flow[PermissionsOperation]:
        """`POST /permissions/persons/grants`: permissions of a person (NIP, PESEL or fingerprint) in the current
        context. The person is named by `first_name`/`last_name` or by ready `subject_details`."""
        body = {
            "subjectIdentifier": _subject(subject),
            "permissions": list(permissions),
            "description": _description(description),
            "subjectDetails": dict(subject_details) if subject_details else person_details(first_name, last_name),
        }
        return (yield from self._grant("/permissions/persons/grants", body))

    @operation
    def grant_to_entity(
        self,
        nip: str,
        permissions: Sequence[str],
        description: str,
        *,
        full_name: str,
        can_delegate: Sequence[str] = (),
    ) -> Flow[PermissionsOperation]:
        """`POST /permissions/entities/grants`: InvoiceWrite/InvoiceRead for another entity; those named in
        `can_delegate` it may pass on (e.g. an accounting office to its employees)."""
        body = {
            "subjectIdentifier": {"type": "Nip", "value": nip},
            "permissions": [{"type": p, "canDelegate": p in can_delegate} for p in permissions],
            "description": _description(description),
            "subjectDetails": {"fullName": full_name},
        }
        return (yield from self._grant("/permissions/entities/grants", body))

    @operation
    def grant_authorization(
        self, subject_type: str, value: str, permission: str, description: str, *, full_name: str
    ) -> Flow[PermissionsOperation]:
        """`POST /permissions/authorizations/grants`: SelfInvoicing, RRInvoicing, TaxRepresentative or PefInvoicing
        for an entity (`subject_type` Nip or PeppolId)."""
        body = {
            "subjectIdentifier": {"type": subject_type, "value": value},
            "permission": permission,
            "description": _description(description),
            "subjectDetails": {"fullName": full_name},
        }
        return (yield from self._grant("/permissions/authorizations/grants", body))

    @operation
    def grant_indirectly(
        self,
        subject: SubjectIdentifier,
        permissions: Sequence[str],
        description: str,
        *,
        target_nip: str | None = None,
        first_name: str = "",
        last_name: str = "",
        subject_details: Mapping[str, Any] | None = None,
    ) -> Flow[PermissionsOperation]:
        """`POST /permissions/indirect/grants`: pass on invoice permissions received with the right to delegate — for
        one client (`target_nip`) or for all (`None`)."""
        target = {"type": "Nip", "value": target_nip} if target_nip else {"type": "AllPartners"}
        body = {
            "subjectIdentifier": _subject(subject),
            "targetIdentifier": target,
            "permissions": list(permissions),
            "description": _description(description),
            "subjectDetails": dict(subject_details) if subject_details else person_details(first_name, last_name),
        }
        return (yield from self._grant("/permissions/indirect/grants", body))

    @operation
    def grant_subunit_administrator(
        self,
        subject: SubjectIdentifier,
        subunit_type: str,
        subunit_value: str,
        description: str,
        *,
        subunit_name: str | None = None,
        first_name: str = "",
        last_name: str = "",
    ) -> Flow[PermissionsOperation]:
        """`POST /permissions/subunits/grants`: the administrator of a subunit (InternalId) or subordinate entity."""
        body: dict[str, Any] = {
            "subjectIdentifier": _subject(subject),
            "contextIdentifier": {"type": subunit_type, "value": subunit_value},
            "description": _description(description),
            "subjectDetails": person_details(first_name, last_name),
        }
        if subunit_name:
            body["subunitName"] = subunit_name
        return (yield from self._grant("/permissions/subunits/grants", body))

    @operation
    def grant_raw(self, path: str, body: Mapping[str, Any]) -> Flow[PermissionsOperation]:
        """Any grant endpoint with a body built by the caller (`/permissions/eu-entities/grants`, …)."""
        if not path.startswith("/permissions/") or not path.endswith("/grants"):
            raise KsefInvalidInputError(f"To nie jest ścieżka nadawania uprawnień: {path!r}.", field="path")
        return (yield from self._grant(path, body))

    # --- revocations and operations ---------------------------------------------------------------------------------

    @operation
    def revoke(self, permission_id: str) -> Flow[PermissionsOperation]:
        """`DELETE /permissions/common/grants/{id}`: take a permission back (an operation to follow)."""
        path = f"/permissions/common/grants/{_permission_id(permission_id)}"
        request = ApiRequest("DELETE", path, auth=Auth.ACCESS)
        return parse_model((yield from call(self._state, request)), PermissionsOperation, request)

    @operation
    def revoke_authorization(self, permission_id: str) -> Flow[PermissionsOperation]:
        """`DELETE /permissions/authorizations/grants/{id}`: take an entity authorisation back."""
        path = f"/permissions/authorizations/grants/{_permission_id(permission_id)}"
        request = ApiRequest("DELETE", path, auth=Auth.ACCESS)
        return parse_model((yield from call(self._state, request)), PermissionsOperation, request)

    @operation
    def operation_status(self, reference_number: str) -> Flow[PermissionsOperationStatus]:
        """`GET /permissions/operations/{ref}` (kept 30 days; then `KsefGoneError`)."""
        return _operation_status(self._state, reference_number)

    @operation
    def attachment_status(self) -> Flow[AttachmentPermissionStatus]:
        """`GET /permissions/attachments/status`: the current context's consent to issue invoices with attachments
        (needs CredentialsManage or CredentialsRead)."""
        request = ApiRequest("GET", "/permissions/attachments/status", auth=Auth.ACCESS, idempotent=True)
        return parse_model((yield from call(self._state, request)), AttachmentPermissionStatus, request)

    @operation
    def wait(self, reference_number: str, *, timeout: float = OPERATION_TIMEOUT) -> Flow[PermissionsOperationStatus]:
        """Poll the operation until it leaves status 100; returns the final status (check `.status.succeeded`)."""
        timeout = validate_timeout(timeout)
        state = self._state
        return (
            yield from poll(
                state,
                lambda: _operation_status(state, reference_number),
                lambda result: result.status,
                reference_number=reference_number,
                timeout=timeout,
                on_progress=None,
                what="Operacja na uprawnieniach",
            )
        )

    # --- queries ----------------------------------------------------------------------------------------------------

    @listing
    def personal(
        self, filters: Mapping[str, Any] | None = None, *, page_size: int = PAGE_SIZE_MAX
    ) -> Flow[Page[GrantedPermission]]:
        """`POST /permissions/query/personal/grants`: your own permissions (all pages)."""
        return _pages(self._state, "/permissions/query/personal/grants", dict(filters or {}), 0, page_size)

    @listing
    def persons(
        self, *, granted_here: bool = True, filters: Mapping[str, Any] | None = None, page_size: int = PAGE_SIZE_MAX
    ) -> Flow[Page[GrantedPermission]]:
        """`POST /permissions/query/persons/grants`: person permissions granted in the current context
        (`granted_here`) or acting in it."""
        query_type = "PermissionsGrantedInCurrentContext" if granted_here else "PermissionsInCurrentContext"
        body = {**(filters or {}), "queryType": query_type}
        return _pages(self._state, "/permissions/query/persons/grants", body, 0, page_size)

    @listing
    def entities(
        self, filters: Mapping[str, Any] | None = None, *, page_size: int = PAGE_SIZE_MAX
    ) -> Flow[Page[GrantedPermission]]:
        """`POST /permissions/query/entities/grants`: invoice permissions other entities gave the current one."""
        return _pages(self._state, "/permissions/query/entities/grants", dict(filters or {}), 0, page_size)

    @listing
    def subunits(
        self, filters: Mapping[str, Any] | None = None, *, page_size: int = PAGE_SIZE_MAX
    ) -> Flow[Page[GrantedPermission]]:
        """`POST /permissions/query/subunits/grants`: the administrators of your subunits."""
        return _pages(self._state, "/permissions/query/subunits/grants", dict(filters or {}), 0, page_size)

    @listing
    def authorizations(
        self, *, received: bool = False, filters: Mapping[str, Any] | None = None, page_size: int = PAGE_SIZE_MAX
    ) -> Flow[Page[GrantedPermission]]:
        """`POST /permissions/query/authorizations/grants`: entity authorisations granted (or `received`)."""
        body = {**(filters or {}), "queryType": "Received" if received else "Granted"}
        return _pages(self._state, "/permissions/query/authorizations/grants", body, 0, page_size)

    @listing
    def eu_entities(
        self, filters: Mapping[str, Any] | None = None, *, page_size: int = PAGE_SIZE_MAX
    ) -> Flow[Page[GrantedPermission]]:
        """`POST /permissions/query/eu-entities/grants`: EU administrators and representatives."""
        return _pages(self._state, "/permissions/query/eu-entities/grants", dict(filters or {}), 0, page_size)

    @listing
    def entity_roles(self, *, page_size: int = PAGE_SIZE_MAX) -> Flow[Page[EntityRole]]:
        """`GET /permissions/query/entities/roles`: the roles of the current entity."""
        return _role_pages(
            self._state, "GET", "/permissions/query/entities/roles", None, page_offset=0, page_size=page_size
        )

    @listing
    def subordinate_roles(self, *, page_size: int = PAGE_SIZE_MAX) -> Flow[Page[EntityRole]]:
        """`POST /permissions/query/subordinate-entities/roles`: the entities subordinate to the current one."""
        return _role_pages(
            self._state, "POST", "/permissions/query/subordinate-entities/roles", {}, page_offset=0, page_size=page_size
        )


def _operation_status(state: ClientState, reference_number: str) -> Flow[PermissionsOperationStatus]:
    reference_number = validate_reference_number(reference_number)
    request = ApiRequest("GET", f"/permissions/operations/{reference_number}", auth=Auth.ACCESS, idempotent=True)
    return parse_model((yield from call(state, request)), PermissionsOperationStatus, request)


def _pages(
    state: ClientState, path: str, body: dict[str, Any], page_offset: int, page_size: int
) -> Flow[Page[GrantedPermission]]:
    validate_page_size(page_size, minimum=PAGE_SIZE_MIN, maximum=PAGE_SIZE_MAX)
    params = {"pageOffset": page_offset, "pageSize": page_size}
    request = ApiRequest("POST", path, auth=Auth.ACCESS, idempotent=True, params=params, json=body)
    page = parse_model((yield from call(state, request)), PermissionPage, request)
    if not (page.has_more and page.items):
        return Page(page.items)
    return Page(page.items, _pages(state, path, body, page_offset + 1, page_size))


def _role_pages(
    state: ClientState, method: str, path: str, body: dict[str, Any] | None, *, page_offset: int, page_size: int
) -> Flow[Page[EntityRole]]:
    validate_page_size(page_size, minimum=PAGE_SIZE_MIN, maximum=PAGE_SIZE_MAX)
    params = {"pageOffset": page_offset, "pageSize": page_size}
    request = ApiRequest(method, path, auth=Auth.ACCESS, idempotent=True, params=params, json=body)
    page = parse_model((yield from call(state, request)), EntityRolePage, request)
    if not (page.has_more and page.roles):
        return Page(page.roles)
    return Page(page.roles, _role_pages(state, method, path, body, page_offset=page_offset + 1, page_size=page_size))
