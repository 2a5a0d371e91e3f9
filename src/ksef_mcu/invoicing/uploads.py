"""The checks a certificate passes before Ustawienia → KSeF stores it, in the guide's order, each with its own message.

Pure: bytes, the slot, the company, the selected environment and `now` in; a `CheckedUpload` out, or an
`UploadRefusedError` (Polish message, the form field it is about). Order:

1. size, then the files parse (a certificate: PEM or DER X.509; a key: PKCS#8 / PKCS#1 / SEC1, PEM or DER; or PKCS#12);
2. the password opens the key;
3. the key belongs to the certificate;
4. the KSeF type matches the section (an Offline certificate in the Type 1 section is refused with a hint to use the
   other section, and the other way round);
5. validity: not yet valid → refused with the date it starts; expired → refused;
6. the environment: the issuer is the selected environment's KSeF CA;
7. the subject: NIP or PESEL; a person's certificate needs permissions in the company's context (said as a note), a
   company certificate of another NIP gets a warning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from cryptography import x509
from cryptography.x509.oid import NameOID

from ksef_mcu.client.environments import Environment
from ksef_mcu.crypto.certificates import (
    KsefCertificateType,
    ValidityState,
    certificate_serial,
    classify_certificate,
    key_matches_certificate,
    load_certificate,
    read_subject_identifier,
    sha256_fingerprint,
    validity_state,
)
from ksef_mcu.crypto.errors import (
    CertificateError,
    KeyFileError,
    NotAPrivateKeyError,
    PasswordRequiredError,
    UnsupportedKeyEncryptionError,
    UnsupportedKeyError,
    WrongPasswordError,
)
from ksef_mcu.crypto.keys import PrivateKey, der_shape, load_pkcs12, load_private_key
from ksef_mcu.formatting import format_day, format_moment
from ksef_mcu.identifiers import SubjectIdentifierType
from ksef_mcu.invoicing.errors import UploadRefusedError
from ksef_mcu.invoicing.model import Company, Slot

__all__ = [
    "MAX_FILE_BYTES",
    "CertificateUpload",
    "CheckedUpload",
    "check_upload",
    "issuer_environment",
]

MAX_FILE_BYTES = 1_048_576
"""One certificate or key file: KSeF's are a few kilobytes; anything over 1 MB is not one."""

SLOT_TYPES = {Slot.AUTHENTICATION: KsefCertificateType.AUTHENTICATION, Slot.OFFLINE: KsefCertificateType.OFFLINE}

ENVIRONMENT_NAMES = {
    Environment.LOCAL: "lokalnego serwera KSeF (ksef-mcu)",
    Environment.TEST: "środowiska testowego (TEST)",
    Environment.DEMO: "środowiska przedprodukcyjnego (DEMO)",
    Environment.PROD: "środowiska produkcyjnego",
}

MINISTRY = "Ministerstwo Finansów"
# The common names of the Ministry's issuing CAs ("TI"/"TEST" on TEST, "TR"/"DEMO" on DEMO, the plain name on PROD).
MINISTRY_CAS = {
    "TEST CCK KSeF": Environment.TEST,
    "TI CCK KSeF": Environment.TEST,
    "DEMO CCK KSeF": Environment.DEMO,
    "TR CCK KSeF": Environment.DEMO,
    "CCK KSeF": Environment.PROD,
    "PRD CCK KSeF": Environment.PROD,
}
LOCAL_CA_ORGANIZATION = "ksef-mcu"


@dataclass(frozen=True, slots=True)
class CertificateUpload:
    """What the form (or the CLI) hands over: a certificate + key + password, or a PKCS#12 + password."""

    certificate: bytes | None = None
    key: bytes | None = None
    pkcs12: bytes | None = None
    password: str = field(default="", repr=False)
    certificate_name: str = "certyfikat"
    key_name: str = "klucz"
    pkcs12_name: str = "plik PKCS#12"


@dataclass(frozen=True, slots=True)
class CheckedUpload:
    certificate: x509.Certificate
    key: PrivateKey = field(repr=False)
    key_format: str
    """`key` (a .key file) or `pkcs12`."""
    key_data: bytes = field(repr=False)
    key_encrypted: bool
    common_name: str
    serial_number: str
    fingerprint: str
    subject: str
    subject_identifier_type: str
    subject_identifier_value: str
    issuer: str
    environment: Environment
    notes: tuple[str, ...]


def _first(name: x509.Name, oid: x509.ObjectIdentifier) -> str:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else ""


def issuer_environment(certificate: x509.Certificate) -> Environment | None:
    """The KSeF environment whose CA issued `certificate`, from the issuer's name (None: not a KSeF CA we know)."""
    organization = _first(certificate.issuer, NameOID.ORGANIZATION_NAME)
    common_name = _first(certificate.issuer, NameOID.COMMON_NAME)
    if organization == LOCAL_CA_ORGANIZATION:
        return Environment.LOCAL
    if organization == MINISTRY:
        return MINISTRY_CAS.get(common_name)
    return None


def _size(data: bytes, name: str, field_name: str) -> None:
    if len(data) > MAX_FILE_BYTES:
        megabytes = f"{len(data) / 1_048_576:.1f}".replace(".", ",")
        raise UploadRefusedError(
            f"Plik „{name}” jest za duży ({megabytes} MB). Plik certyfikatu lub klucza KSeF ma kilka kilobajtów; "
            "najwyższy dopuszczalny rozmiar to 1 MB – sprawdź, czy wybrano właściwy plik.",
            field=field_name,
        )


KEY_NOT_OPENED = (
    "Nieprawidłowe hasło do klucza prywatnego. Hasła nie da się zresetować – jeśli je utracono, unieważnij "
    "certyfikat na platformie KSeF i wygeneruj nowy."
)


def _load_key(data: bytes, password: str) -> tuple[PrivateKey, bool]:
    """The key and whether it was encrypted."""
    try:
        return load_private_key(data, None), False
    except PasswordRequiredError:
        pass
    except (NotAPrivateKeyError, UnsupportedKeyError, UnsupportedKeyEncryptionError) as error:
        raise UploadRefusedError(_bad_key(error), field="klucz") from error
    except KeyFileError as error:
        raise UploadRefusedError(_bad_key(error), field="klucz") from error
    if not password:
        raise UploadRefusedError(
            "Klucz prywatny jest zaszyfrowany – wpisz hasło do klucza prywatnego (to, które podano przy generowaniu "
            "klucza).",
            field="haslo",
        )
    try:
        return load_private_key(data, password), True
    except (WrongPasswordError, PasswordRequiredError) as error:
        raise UploadRefusedError(KEY_NOT_OPENED, field="haslo") from error
    except KeyFileError as error:
        raise UploadRefusedError(_bad_key(error), field="klucz") from error


def _bad_key(error: KeyFileError) -> str:
    if isinstance(error, NotAPrivateKeyError):
        return (
            "Plik klucza nie jest kluczem prywatnym (oczekiwano pliku .key: PKCS#8, zwykle „BEGIN ENCRYPTED "
            "PRIVATE KEY”). Wybierz plik .key zapisany przy generowaniu wniosku."
        )
    return f"Klucza prywatnego nie da się wczytać: {error.message}"


def _parse(upload: CertificateUpload) -> tuple[x509.Certificate, PrivateKey, str, bytes, bool]:
    """Checks 1–2: sizes, the files parse, the password opens the key."""
    if upload.pkcs12 is not None:
        _size(upload.pkcs12, upload.pkcs12_name, "pkcs12")
        if der_shape(upload.pkcs12) != "pkcs12":
            raise UploadRefusedError(
                "Plik nie jest plikiem PKCS#12 (.p12/.pfx). Wybierz plik .p12/.pfx albo dodaj certyfikat i klucz "
                "jako dwa pliki.",
                field="pkcs12",
            )
        try:
            key, certificate = load_pkcs12(upload.pkcs12, upload.password or None)
        except (WrongPasswordError, PasswordRequiredError) as error:
            raise UploadRefusedError(
                "Nieprawidłowe hasło do pliku PKCS#12 (albo hasło jest wymagane).", field="haslo"
            ) from error
        except (KeyFileError, CertificateError) as error:
            raise UploadRefusedError(f"Plik PKCS#12: {error.message}", field="pkcs12") from error
        return certificate, key, "pkcs12", upload.pkcs12, bool(upload.password)
    if upload.certificate is None:
        raise UploadRefusedError("Wybierz plik certyfikatu (.crt).", field="certyfikat")
    if upload.key is None:
        raise UploadRefusedError(
            "Wybierz plik klucza prywatnego (.key) – zapisany przy generowaniu wniosku o certyfikat.", field="klucz"
        )
    _size(upload.certificate, upload.certificate_name, "certyfikat")
    _size(upload.key, upload.key_name, "klucz")
    if der_shape(upload.certificate) == "pkcs12":
        raise UploadRefusedError(
            "To plik PKCS#12 (.p12/.pfx) – wybierz opcję „Plik PKCS#12” zamiast pary certyfikat + klucz.",
            field="certyfikat",
        )
    try:
        certificate = load_certificate(upload.certificate)
    except CertificateError as error:
        raise UploadRefusedError(
            "Plik certyfikatu jest nieprawidłowy (oczekiwano certyfikatu X.509 w formacie PEM lub DER: .crt, .cer, "
            ".pem).",
            field="certyfikat",
        ) from error
    key, encrypted = _load_key(upload.key, upload.password)
    return certificate, key, "key", upload.key, encrypted


def check_upload(
    upload: CertificateUpload, *, slot: Slot, company: Company, environment: Environment, now: datetime
) -> CheckedUpload:
    """Run every check in order; the first failure raises `UploadRefusedError` (nothing is stored by the caller)."""
    certificate, key, key_format, key_data, encrypted = _parse(upload)
    # 3. The key belongs to the certificate.
    if not key_matches_certificate(key, certificate):
        raise UploadRefusedError(
            "Klucz prywatny nie pasuje do tego certyfikatu. Sprawdź, czy oba pliki pochodzą z tego samego wniosku "
            "(plik .key ma zwykle tę samą nazwę co certyfikat).",
            field="klucz",
        )
    # 4. The type matches the section.
    found = classify_certificate(certificate)
    wanted = SLOT_TYPES[slot]
    if found is None:
        raise UploadRefusedError(
            "To nie jest certyfikat KSeF (Typ 1 ani Typ 2). Certyfikat uzyskasz na platformie KSeF: Certyfikaty → "
            "Wnioskuj o certyfikat.",
            field="certyfikat",
        )
    if found is not wanted:
        if found is KsefCertificateType.OFFLINE:
            message = (
                "To jest certyfikat offline (Typ 2) – służy do podpisywania kodów QR, nie do logowania. Dodaj go w "
                "sekcji „Certyfikat offline (Typ 2) – opcjonalny”."
            )
        else:
            message = (
                "To jest certyfikat uwierzytelniający (Typ 1) – służy do logowania. Dodaj go w sekcji „Certyfikat "
                "uwierzytelniający (Typ 1)”; tutaj potrzebny jest certyfikat offline (Typ 2)."
            )
        raise UploadRefusedError(message, field="certyfikat")
    # 5. Validity.
    state = validity_state(certificate, now)
    if state is ValidityState.NOT_YET_VALID:
        raise UploadRefusedError(
            f"Certyfikat będzie ważny dopiero od {format_moment(certificate.not_valid_before_utc)}. Dodaj go, gdy "
            "zacznie obowiązywać.",
            field="certyfikat",
        )
    if state is ValidityState.EXPIRED:
        raise UploadRefusedError(
            f"Certyfikat wygasł {format_day(certificate.not_valid_after_utc)} – wygeneruj nowy na platformie KSeF.",
            field="certyfikat",
        )
    # 6. The environment.
    issued_in = issuer_environment(certificate)
    issuer = certificate.issuer.rfc4514_string()
    if issued_in is None:
        raise UploadRefusedError(
            f"Certyfikat nie został wydany przez KSeF (wystawca: {_first(certificate.issuer, NameOID.COMMON_NAME)}"
            f"). Użyj certyfikatu KSeF {ENVIRONMENT_NAMES[environment]}.",
            field="certyfikat",
        )
    if issued_in is not environment:
        raise UploadRefusedError(
            f"Certyfikat pochodzi {_from(issued_in)}, a Obsługa Faktur pracuje w "
            f"{_environment_locative(environment)}. Certyfikaty KSeF działają tylko w środowisku, w którym je "
            "wydano – uzyskaj certyfikat w tym środowisku.",
            field="certyfikat",
        )
    # 7. The subject.
    identifier = read_subject_identifier(certificate)
    notes: list[str] = []
    company_nip = company.context_value.split("-", 1)[0]
    if identifier.type is SubjectIdentifierType.PESEL:
        notes.append(
            f"To certyfikat osoby (PESEL {identifier.value}). Logując się nim, ta osoba działa w kontekście firmy "
            f"{company.context_value} tylko z uprawnieniami, które w nim otrzymała (np. wystawianie faktur). "
            "Certyfikatu osobistego nie wolno udostępniać innym osobom."
        )
    elif identifier.type is SubjectIdentifierType.NIP:
        if identifier.value != company_nip:
            notes.append(
                f"Certyfikat wydano dla NIP {identifier.value}, a firma ma NIP {company_nip}: logowanie zadziała "
                "tylko wtedy, gdy ten podmiot ma uprawnienia w kontekście firmy."
            )
        else:
            notes.append(f"Certyfikat firmy, NIP {identifier.value}.")
    return CheckedUpload(
        certificate=certificate,
        key=key,
        key_format=key_format,
        key_data=key_data,
        key_encrypted=encrypted,
        common_name=_first(certificate.subject, NameOID.COMMON_NAME),
        serial_number=certificate_serial(certificate),
        fingerprint=sha256_fingerprint(certificate),
        subject=certificate.subject.rfc4514_string(),
        subject_identifier_type=identifier.type.value,
        subject_identifier_value=identifier.value,
        issuer=issuer,
        environment=environment,
        notes=tuple(notes),
    )


def _environment_locative(environment: Environment) -> str:
    return {
        Environment.LOCAL: "lokalnym serwerze KSeF (ksef-mcu)",
        Environment.TEST: "środowisku testowym (TEST)",
        Environment.DEMO: "środowisku przedprodukcyjnym (DEMO)",
        Environment.PROD: "środowisku produkcyjnym",
    }[environment]


def _from(environment: Environment) -> str:
    return {
        Environment.LOCAL: "z lokalnego serwera KSeF (ksef-mcu)",
        Environment.TEST: "ze środowiska testowego (TEST)",
        Environment.DEMO: "ze środowiska przedprodukcyjnego (DEMO)",
        Environment.PROD: "ze środowiska produkcyjnego",
    }[environment]
