"""Typed models of the KSeF API v2 requests and responses, one module per API tag.

- `common` — the base model, checked field types, `StatusInfo`, `TokenInfo`
- `auth` — challenge, login operation, tokens, sessions ("Uzyskiwanie dostępu", "Aktywne sesje")
- `certificates` — limits, enrollment data and status, retrieval, queries, revocation ("Certyfikaty")
- `security` — the Ministry of Finance's public-key certificates ("Certyfikaty klucza publicznego")
- `testdata` — test subjects, persons, permissions, context blocks, limits ("Dane testowe")
- `permissions` — grant and revocation operations, the listed permissions and entity roles
- `tokens` — KSeF tokens ("Tokeny KSeF")
- next: `sessions` (online sessions, invoices, UPO)

Responses are pydantic models: unknown JSON fields are ignored (KSeF adds fields without a version bump), while the
fields the client relies on are checked — reference numbers are 36 characters, serials 16 upper-case hex digits,
certificate types and statuses come from the official enums, dates carry a time zone (a date without one is taken as
UTC, as KSeF's own timestamps are). Python names are snake_case; the JSON names (aliases) are KSeF's camelCase.

Requests the caller builds (`EnrollCertificateRequest`, `CertificateQuery`, the test-data requests) are frozen
dataclasses checked on construction, so a bad value fails with a Polish `KsefInvalidInputError` before anything is
sent. Every name is importable from here (`ksef_mcu.client.models.CertificateLimits`) as well as from its module.
"""

from __future__ import annotations

from ksef_mcu.client.models.auth import (
    AuthenticationChallenge,
    AuthenticationInit,
    AuthenticationMethod,
    AuthenticationMethodCategory,
    AuthenticationMethodInfo,
    AuthenticationOperationStatus,
    AuthenticationSession,
    AuthenticationSessionPage,
    AuthenticationTokenRefresh,
    AuthenticationTokens,
)
from ksef_mcu.client.models.certificates import (
    CertificateEnrollmentData,
    CertificateEnrollmentStatus,
    CertificateLimit,
    CertificateLimits,
    CertificateListItem,
    CertificatePage,
    CertificateQuery,
    CertificateStatus,
    CertificateSubjectIdentifier,
    CertificateType,
    EnrollCertificateRequest,
    EnrollmentSubmission,
    RetrievedCertificate,
    RevocationReason,
    SubjectIdentifierType,
    parse_certificate_type,
)
from ksef_mcu.client.models.common import KsefModel, StatusInfo, TokenInfo
from ksef_mcu.client.models.permissions import (
    AttachmentPermissionStatus,
    EntityRole,
    EntityRolePage,
    GrantedPermission,
    Identifier,
    PermissionPage,
    PermissionsOperation,
    PermissionsOperationStatus,
    PermissionState,
    PersonPermissionType,
)
from ksef_mcu.client.models.security import (
    PublicKeyCertificate,
    PublicKeyCertificateUsage,
    select_public_key_certificate,
)
from ksef_mcu.client.models.testdata import (
    CertificateLimitsOverride,
    PermissionsGrantRequest,
    PersonCreateRequest,
    SubjectCreateRequest,
    SubjectType,
    Subunit,
    TestDataPermission,
    TestDataPermissionType,
)
from ksef_mcu.client.models.tokens import (
    GeneratedKsefToken,
    KsefTokenInfo,
    KsefTokenPage,
    KsefTokenPermission,
    KsefTokenStatus,
)

__all__ = [
    "AttachmentPermissionStatus",
    "AuthenticationChallenge",
    "AuthenticationInit",
    "AuthenticationMethod",
    "AuthenticationMethodCategory",
    "AuthenticationMethodInfo",
    "AuthenticationOperationStatus",
    "AuthenticationSession",
    "AuthenticationSessionPage",
    "AuthenticationTokenRefresh",
    "AuthenticationTokens",
    "CertificateEnrollmentData",
    "CertificateEnrollmentStatus",
    "CertificateLimit",
    "CertificateLimits",
    "CertificateLimitsOverride",
    "CertificateListItem",
    "CertificatePage",
    "CertificateQuery",
    "CertificateStatus",
    "CertificateSubjectIdentifier",
    "CertificateType",
    "EnrollCertificateRequest",
    "EnrollmentSubmission",
    "EntityRole",
    "EntityRolePage",
    "GeneratedKsefToken",
    "GrantedPermission",
    "Identifier",
    "KsefModel",
    "KsefTokenInfo",
    "KsefTokenPage",
    "KsefTokenPermission",
    "KsefTokenStatus",
    "PermissionPage",
    "PermissionState",
    "PermissionsGrantRequest",
    "PermissionsOperation",
    "PermissionsOperationStatus",
    "PersonCreateRequest",
    "PersonPermissionType",
    "PublicKeyCertificate",
    "PublicKeyCertificateUsage",
    "RetrievedCertificate",
    "RevocationReason",
    "StatusInfo",
    "SubjectCreateRequest",
    "SubjectIdentifierType",
    "SubjectType",
    "Subunit",
    "TestDataPermission",
    "TestDataPermissionType",
    "TokenInfo",
    "parse_certificate_type",
    "select_public_key_certificate",
]
