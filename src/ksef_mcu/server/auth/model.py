"""Authentication vocabulary: methods, statuses, subjects, permissions — the values the API reports."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ksef_mcu.identifiers import AllowedIps, ContextIdentifier, SubjectIdentifier, SubjectIdentifierType


class AuthenticationMethod(enum.StrEnum):
    """`authenticationMethod` (deprecated in the API but still required in its responses)."""

    TOKEN = "Token"  # noqa: S105 - an enum value, not a secret
    TRUSTED_PROFILE = "TrustedProfile"
    INTERNAL_CERTIFICATE = "InternalCertificate"
    QUALIFIED_SIGNATURE = "QualifiedSignature"
    QUALIFIED_SEAL = "QualifiedSeal"
    PERSONAL_SIGNATURE = "PersonalSignature"
    PEPPOL_SIGNATURE = "PeppolSignature"


class AuthenticationMethodCategory(enum.StrEnum):
    XADES_SIGNATURE = "XadesSignature"
    NATIONAL_NODE = "NationalNode"
    TOKEN = "Token"  # noqa: S105 - an enum value, not a secret
    OTHER = "Other"


@dataclass(frozen=True, slots=True)
class AuthenticationMethodInfo:
    """`authenticationMethodInfo`: the codes are the ones real KSeF returns (clients such as ksef2 refuse others)."""

    category: AuthenticationMethodCategory
    code: str
    display_name: str


METHOD_INFO: dict[AuthenticationMethod, AuthenticationMethodInfo] = {
    AuthenticationMethod.TOKEN: AuthenticationMethodInfo(
        AuthenticationMethodCategory.TOKEN, "token.ksef", "Token KSeF"
    ),
    AuthenticationMethod.TRUSTED_PROFILE: AuthenticationMethodInfo(
        AuthenticationMethodCategory.NATIONAL_NODE, "national-node.trusted-profile", "Profil Zaufany"
    ),
    AuthenticationMethod.INTERNAL_CERTIFICATE: AuthenticationMethodInfo(
        AuthenticationMethodCategory.XADES_SIGNATURE, "xades.ksef-certificate", "Certyfikat KSeF"
    ),
    AuthenticationMethod.QUALIFIED_SIGNATURE: AuthenticationMethodInfo(
        AuthenticationMethodCategory.XADES_SIGNATURE, "xades.qualified-signature", "Podpis kwalifikowany"
    ),
    AuthenticationMethod.QUALIFIED_SEAL: AuthenticationMethodInfo(
        AuthenticationMethodCategory.XADES_SIGNATURE, "xades.qualified-seal", "Pieczęć kwalifikowana"
    ),
    AuthenticationMethod.PERSONAL_SIGNATURE: AuthenticationMethodInfo(
        AuthenticationMethodCategory.XADES_SIGNATURE, "xades.personal-signature", "Podpis osobisty"
    ),
    AuthenticationMethod.PEPPOL_SIGNATURE: AuthenticationMethodInfo(
        AuthenticationMethodCategory.XADES_SIGNATURE, "xades.peppol-signature", "Podpis dostawcy usług Peppol"
    ),
}


class AuthStatusCode(enum.IntEnum):
    """`status.code` of an authentication operation (not an HTTP status)."""

    IN_PROGRESS = 100
    SUCCEEDED = 200
    NO_PERMISSIONS = 415
    REVOKED = 425
    INVALID_TOKEN = 450
    CERTIFICATE_ERROR = 460
    DECEASED_PERSON = 470
    BLOCKED = 480
    UNKNOWN_ERROR = 500
    CANCELLED = 550


STATUS_DESCRIPTIONS: dict[AuthStatusCode, str] = {
    AuthStatusCode.IN_PROGRESS: "Uwierzytelnianie w toku",
    AuthStatusCode.SUCCEEDED: "Uwierzytelnianie zakończone sukcesem",
    AuthStatusCode.NO_PERMISSIONS: "Uwierzytelnianie zakończone niepowodzeniem",
    AuthStatusCode.REVOKED: "Uwierzytelnienie unieważnione",
    AuthStatusCode.INVALID_TOKEN: "Uwierzytelnianie zakończone niepowodzeniem z powodu błędnego tokenu",
    AuthStatusCode.CERTIFICATE_ERROR: "Uwierzytelnianie zakończone niepowodzeniem z powodu błędu certyfikatu",
    AuthStatusCode.DECEASED_PERSON: "Uwierzytelnianie zakończone niepowodzeniem",
    AuthStatusCode.BLOCKED: "Uwierzytelnienie zablokowane",
    AuthStatusCode.UNKNOWN_ERROR: "Nieznany błąd",
    AuthStatusCode.CANCELLED: "Operacja została anulowana przez system",
}


class CertificateProblem(enum.StrEnum):
    """The official details of status 460."""

    INVALID = "Nieważny certyfikat."
    CHAIN_VERIFICATION_FAILED = "Błąd weryfikacji łańcucha certyfikatów."
    UNTRUSTED_CHAIN = "Niezaufany łańcuch certyfikatów."
    REVOKED = "Certyfikat odwołany."
    SUSPENDED = "Certyfikat zawieszony."
    INCORRECT = "Niepoprawny certyfikat."


class TokenProblem(enum.StrEnum):
    """The official details of status 450 (the challenge or KSeF token presented at login)."""

    INVALID_CHALLENGE = "Nieprawidłowe wyzwanie autoryzacyjne."
    INVALID = "Nieprawidłowy token."
    INVALID_TIME = "Nieprawidłowy czas tokena."
    REVOKED = "Token unieważniony."
    INACTIVE = "Token nieaktywny."


NO_PERMISSIONS_DETAIL = "Brak przypisanych uprawnień."
REVOKED_DETAIL = "Uwierzytelnienie i powiązane refresh tokeny zostały unieważnione przez użytkownika."
DECEASED_DETAIL = "Próba wykorzystania metod autoryzacyjnych osoby zmarłej."
BLOCKED_DETAIL = (
    "Podejrzenie incydentu bezpieczeństwa. Skontaktuj się z Ministerstwem Finansów przez formularz zgłoszeniowy."
)
CANCELLED_DETAIL = "Przetwarzanie zostało przerwane z przyczyn wewnętrznych systemu. Spróbuj ponownie."


@dataclass(frozen=True, slots=True)
class AuthStatus:
    """An operation's outcome: code, its official description, and details."""

    code: AuthStatusCode
    details: tuple[str, ...] = ()

    @property
    def description(self) -> str:
        return STATUS_DESCRIPTIONS[self.code]

    @classmethod
    def of(cls, code: AuthStatusCode, *details: str) -> AuthStatus:
        return cls(code, tuple(details))


class Permission(enum.StrEnum):
    """Permissions a subject can hold in a context (`per` claim). `Owner` stands for the owner's full set."""

    OWNER = "Owner"
    INVOICE_READ = "InvoiceRead"
    INVOICE_WRITE = "InvoiceWrite"
    INTROSPECTION = "Introspection"
    CREDENTIALS_READ = "CredentialsRead"
    CREDENTIALS_MANAGE = "CredentialsManage"
    ENFORCEMENT_OPERATIONS = "EnforcementOperations"
    SUBUNIT_MANAGE = "SubunitManage"
    VAT_UE_MANAGE = "VatUeManage"
    PEF_INVOICE_WRITE = "PefInvoiceWrite"


OWNER_EFFECTIVE_PERMISSIONS: tuple[Permission, ...] = (
    Permission.INVOICE_READ,
    Permission.INVOICE_WRITE,
    Permission.INTROSPECTION,
    Permission.CREDENTIALS_READ,
    Permission.CREDENTIALS_MANAGE,
    Permission.SUBUNIT_MANAGE,
)
"""What `Owner` implies: every invoice and administrative permission except `VatUeManage` (and enforcement, which
comes only with the bailiff flag)."""

EU_ADMINISTRATOR_EFFECTIVE_PERMISSIONS: tuple[Permission, ...] = (
    Permission.VAT_UE_MANAGE,
    Permission.INVOICE_WRITE,
    Permission.INVOICE_READ,
    Permission.INTROSPECTION,
)
"""What `VatUeManage` (the EU entity's administrator, `uprawnienia.md`) implies in its NIP-VAT UE context."""

_IMPLIED: dict[Permission, tuple[Permission, ...]] = {
    Permission.OWNER: OWNER_EFFECTIVE_PERMISSIONS,
    Permission.VAT_UE_MANAGE: EU_ADMINISTRATOR_EFFECTIVE_PERMISSIONS,
}


@dataclass(frozen=True, slots=True)
class ContextPermissions:
    """What a subject may do in a context: explicit permissions (with `Owner` when the subject owns the context)."""

    permissions: tuple[Permission, ...]
    roles: tuple[str, ...] = ()

    @property
    def effective(self) -> tuple[Permission, ...]:
        """The permissions with `Owner` and `VatUeManage` expanded, without duplicates, in a stable order."""
        expanded: list[Permission] = []
        for permission in self.permissions:
            implied = _IMPLIED.get(permission, (permission,))
            expanded.extend(p for p in implied if p not in expanded)
        return tuple(expanded)


@dataclass(frozen=True, slots=True)
class SubjectDetails:
    """Who logged in, as the login certificate names them (the `sud` claim, `enrollments/data` for the CSR)."""

    identifier: SubjectIdentifier
    given_names: tuple[str, ...] = ()
    surname: str | None = None
    serial_number: str | None = None
    common_name: str | None = None
    country_name: str | None = None
    organization_name: str | None = None
    organization_identifier: str | None = None
    unique_identifier: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The stored and `sud`-claim form (PascalCase keys, as the official token's `sud`)."""
        data: dict[str, Any] = {
            "SubjectIdentifier": {"Type": self.identifier.type.value, "Value": self.identifier.value},
        }
        if self.given_names:
            data["GivenNames"] = list(self.given_names)
        optional = {
            "Surname": self.surname,
            "SerialNumber": self.serial_number,
            "CommonName": self.common_name,
            "CountryName": self.country_name,
            "OrganizationName": self.organization_name,
            "OrganizationIdentifier": self.organization_identifier,
            "UniqueIdentifier": self.unique_identifier,
        }
        data.update({key: value for key, value in optional.items() if value is not None})
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SubjectDetails:
        identifier = data["SubjectIdentifier"]
        return cls(
            identifier=SubjectIdentifier(SubjectIdentifierType(identifier["Type"]), identifier["Value"]),
            given_names=tuple(data.get("GivenNames", ())),
            surname=data.get("Surname"),
            serial_number=data.get("SerialNumber"),
            common_name=data.get("CommonName"),
            country_name=data.get("CountryName"),
            organization_name=data.get("OrganizationName"),
            organization_identifier=data.get("OrganizationIdentifier"),
            unique_identifier=data.get("UniqueIdentifier"),
        )


@dataclass(frozen=True, slots=True)
class AuthenticationRecord:
    """One row of `authentications`."""

    reference_number: str
    started_at: datetime
    client_ip: str
    context: ContextIdentifier
    subject: SubjectIdentifier
    authentication_method: AuthenticationMethod
    certificate_fingerprint: str | None
    certificate_der: bytes | None
    subject_details: SubjectDetails
    allowed_ips: AllowedIps | None
    status: AuthStatus
    authentication_token_valid_until: datetime
    is_token_redeemed: bool = False
    redeemed_at: datetime | None = None
    refresh_token_id: str | None = None
    refresh_token_valid_until: datetime | None = None
    last_token_refresh_at: datetime | None = None
    revoked_at: datetime | None = None
    ksef_token_reference: str | None = None
    """The KSeF token a `Token` login used (its reference number)."""


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller behind a verified access token."""

    reference_number: str
    context: ContextIdentifier
    subject: SubjectIdentifier
    authentication_method: AuthenticationMethod
    permissions: tuple[str, ...] = ()
    allowed_ips: AllowedIps | None = None
    token_id: str = ""
    ksef_token: str | None = None
    """The reference number of the KSeF token the caller logged in with (None for other methods)."""
