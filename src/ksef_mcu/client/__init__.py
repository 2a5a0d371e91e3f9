"""Typed client for the KSeF API v2: authentication, certificates (MCU), the MF public keys and test data.

```python
from ksef_mcu.client import CertificateCredentials, ContextIdentifier, ContextIdentifierType, KsefClient

with KsefClient("test") as client:
    credentials = CertificateCredentials.from_files_content(crt_bytes, key_bytes, password)
    client.auth.login_with_certificate(credentials, ContextIdentifier(ContextIdentifierType.NIP, "5265877635"))
    enrollment = client.certificates.enroll("Certyfikat offline", "Offline", csr)
    serial = enrollment.wait(on_progress=print).serial_number
    [certificate] = client.certificates.retrieve([serial])
    print(certificate.pem)
```

See `docs/client.md`.
"""

from ksef_mcu.client._operations.sessions import InvoiceOutcome, SendReport
from ksef_mcu.client.aio import AsyncEnrollment, AsyncKsefClient
from ksef_mcu.client.client import (
    AuthApi,
    CertificatesApi,
    Enrollment,
    KsefClient,
    KsefTokensApi,
    PermissionsApi,
    SecurityApi,
    SessionsApi,
    TestdataApi,
    system_clock,
)
from ksef_mcu.client.credentials import CertificateCredentials
from ksef_mcu.client.environments import API_BASE_URLS, Environment
from ksef_mcu.client.errors import (
    ApiErrorDetail,
    KsefApiError,
    KsefAuthenticationFailedError,
    KsefAuthError,
    KsefClientError,
    KsefEnrollmentFailedError,
    KsefForbiddenError,
    KsefGoneError,
    KsefInvalidInputError,
    KsefNotAuthenticatedError,
    KsefOperationError,
    KsefPollingTimeoutError,
    KsefRateLimitError,
    KsefResponseError,
    SystemWarning,
)
from ksef_mcu.client.models import (
    AttachmentPermissionStatus,
    AuthenticationChallenge,
    AuthenticationOperationStatus,
    AuthenticationSession,
    CertificateEnrollmentData,
    CertificateEnrollmentStatus,
    CertificateLimits,
    CertificateListItem,
    CertificatePage,
    CertificateQuery,
    CertificateStatus,
    CertificateType,
    GeneratedKsefToken,
    GrantedPermission,
    KsefTokenInfo,
    KsefTokenPermission,
    KsefTokenStatus,
    PermissionsOperation,
    PermissionsOperationStatus,
    PublicKeyCertificate,
    PublicKeyCertificateUsage,
    RetrievedCertificate,
    RevocationReason,
    StatusInfo,
    SubjectIdentifierType,
    SubjectType,
    Subunit,
    TestDataPermission,
    TestDataPermissionType,
    parse_certificate_type,
    select_public_key_certificate,
)
from ksef_mcu.client.models.sessions import (
    OnlineSession,
    SessionInvoiceStatus,
    SessionStatus,
    XmlDocument,
)
from ksef_mcu.client.policies import NO_RETRIES, PollPolicy, RetryPolicy
from ksef_mcu.client.tokens import Token, TokenState
from ksef_mcu.crypto.names import CertificateNameRule
from ksef_mcu.crypto.xades import AuthTokenNamespace
from ksef_mcu.identifiers import (
    AllowedIps,
    ContextIdentifier,
    ContextIdentifierType,
    SubjectIdentifier,
    SubjectIdentifierTypeXml,
)

__all__ = [
    "API_BASE_URLS",
    "NO_RETRIES",
    "AllowedIps",
    "ApiErrorDetail",
    "AsyncEnrollment",
    "AsyncKsefClient",
    "AttachmentPermissionStatus",
    "AuthApi",
    "AuthTokenNamespace",
    "AuthenticationChallenge",
    "AuthenticationOperationStatus",
    "AuthenticationSession",
    "CertificateCredentials",
    "CertificateEnrollmentData",
    "CertificateEnrollmentStatus",
    "CertificateLimits",
    "CertificateListItem",
    "CertificateNameRule",
    "CertificatePage",
    "CertificateQuery",
    "CertificateStatus",
    "CertificateType",
    "CertificatesApi",
    "ContextIdentifier",
    "ContextIdentifierType",
    "Enrollment",
    "Environment",
    "GeneratedKsefToken",
    "GrantedPermission",
    "InvoiceOutcome",
    "KsefApiError",
    "KsefAuthError",
    "KsefAuthenticationFailedError",
    "KsefClient",
    "KsefClientError",
    "KsefEnrollmentFailedError",
    "KsefForbiddenError",
    "KsefGoneError",
    "KsefInvalidInputError",
    "KsefNotAuthenticatedError",
    "KsefOperationError",
    "KsefPollingTimeoutError",
    "KsefRateLimitError",
    "KsefResponseError",
    "KsefTokenInfo",
    "KsefTokenPermission",
    "KsefTokenStatus",
    "KsefTokensApi",
    "OnlineSession",
    "PermissionsApi",
    "PermissionsOperation",
    "PermissionsOperationStatus",
    "PollPolicy",
    "PublicKeyCertificate",
    "PublicKeyCertificateUsage",
    "RetrievedCertificate",
    "RetryPolicy",
    "RevocationReason",
    "SecurityApi",
    "SendReport",
    "SessionInvoiceStatus",
    "SessionStatus",
    "SessionsApi",
    "StatusInfo",
    "SubjectIdentifier",
    "SubjectIdentifierType",
    "SubjectIdentifierTypeXml",
    "SubjectType",
    "Subunit",
    "SystemWarning",
    "TestDataPermission",
    "TestDataPermissionType",
    "TestdataApi",
    "Token",
    "TokenState",
    "XmlDocument",
    "parse_certificate_type",
    "select_public_key_certificate",
    "system_clock",
]
