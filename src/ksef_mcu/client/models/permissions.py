"""Models of the API tags "Nadawanie uprawnień", "Odbieranie uprawnień", "Operacje" and "Wyszukiwanie nadanych
uprawnień": the operation of a grant or revocation, and the items the queries list (one model for every listing,
its fields optional where the listings differ)."""

from __future__ import annotations

import enum
from typing import Any

from ksef_mcu.client.models.common import KsefModel, ReferenceNumber, StatusInfo, UtcDatetime

__all__ = [
    "AttachmentPermissionStatus",
    "EntityRole",
    "EntityRolePage",
    "GrantedPermission",
    "Identifier",
    "PermissionPage",
    "PermissionState",
    "PermissionsOperation",
    "PermissionsOperationStatus",
    "PersonPermissionType",
]


class PersonPermissionType(enum.StrEnum):
    """What a natural person may be granted (`PersonPermissionType`)."""

    CREDENTIALS_MANAGE = "CredentialsManage"
    CREDENTIALS_READ = "CredentialsRead"
    INVOICE_WRITE = "InvoiceWrite"
    INVOICE_READ = "InvoiceRead"
    INTROSPECTION = "Introspection"
    SUBUNIT_MANAGE = "SubunitManage"
    ENFORCEMENT_OPERATIONS = "EnforcementOperations"


class PermissionState(enum.StrEnum):
    ACTIVE = "Active"
    INACTIVE = "Inactive"


class PermissionsOperation(KsefModel):
    """`PermissionsOperationResponse`: the reference number of a grant or revocation."""

    reference_number: ReferenceNumber


class PermissionsOperationStatus(KsefModel):
    """`PermissionsOperationStatusResponse`: 100 accepted, 200 done, 400–550 failed."""

    status: StatusInfo


class AttachmentPermissionStatus(KsefModel):
    """`CheckAttachmentPermissionStatusResponse`: whether the current context may issue invoices with attachments now,
    and when that consent ends or ended (None: no end, or never given)."""

    is_attachment_allowed: bool = False
    revoked_date: UtcDatetime | None = None


class Identifier(KsefModel):
    """A typed identifier (`{type, value}`); `value` is empty for `AllPartners` and `System`."""

    type: str
    value: str = ""

    def __str__(self) -> str:
        return f"{self.type} {self.value}".strip()


class GrantedPermission(KsefModel):
    """One item of any permission listing. `scope` is the permission (`permissionScope`, or `authorizationScope` of
    entity authorisations)."""

    id: str
    permission_scope: str | None = None
    authorization_scope: str | None = None
    description: str
    context_identifier: Identifier | None = None
    authorized_identifier: Identifier | None = None
    target_identifier: Identifier | None = None
    author_identifier: Identifier | None = None
    subunit_identifier: Identifier | None = None
    authorized_entity_identifier: Identifier | None = None
    authorizing_entity_identifier: Identifier | None = None
    vat_ue_identifier: str | None = None
    eu_entity_name: str | None = None
    authorized_fingerprint_identifier: str | None = None
    subunit_name: str | None = None
    subject_person_details: dict[str, Any] | None = None
    subject_entity_details: dict[str, Any] | None = None
    permission_state: PermissionState | None = None
    start_date: UtcDatetime
    can_delegate: bool | None = None

    @property
    def scope(self) -> str:
        return self.permission_scope or self.authorization_scope or ""

    @property
    def holder(self) -> str:
        """Whom it was granted to, as text (identifier type and value)."""
        for identifier in (self.authorized_identifier, self.authorized_entity_identifier):
            if identifier is not None:
                return str(identifier)
        if self.authorized_fingerprint_identifier:
            return f"Fingerprint {self.authorized_fingerprint_identifier}"
        return ""

    @property
    def holder_name(self) -> str:
        """The holder's name from the subject details (first and last name, or full name)."""
        person = self.subject_person_details or {}
        if person.get("firstName") or person.get("lastName"):
            return f"{person.get('firstName', '')} {person.get('lastName', '')}".strip()
        return str((self.subject_entity_details or {}).get("fullName", ""))


class PermissionPage(KsefModel):
    """A page of a permission query; the list is under `permissions` (or `authorizationGrants`)."""

    permissions: tuple[GrantedPermission, ...] = ()
    authorization_grants: tuple[GrantedPermission, ...] = ()
    has_more: bool

    @property
    def items(self) -> tuple[GrantedPermission, ...]:
        return self.permissions or self.authorization_grants


class EntityRole(KsefModel):
    """A role of the current entity, or of a subordinate entity."""

    role: str
    description: str
    start_date: UtcDatetime
    parent_entity_identifier: Identifier | None = None
    subordinate_entity_identifier: Identifier | None = None


class EntityRolePage(KsefModel):
    roles: tuple[EntityRole, ...]
    has_more: bool
