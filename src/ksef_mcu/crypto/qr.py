"""KSeF verification links for QR codes: KOD I (the invoice) and KOD II (the issuer's Offline certificate).

KOD I:  `{base}/invoice/{sellerNIP}/{DD-MM-YYYY}/{Base64URL(SHA-256(invoice bytes))}`
KOD II: `{base}/certificate/{contextType}/{contextValue}/{sellerNIP}/{certificateSerial}/{invoiceHash}/{signature}`

The KOD II signature covers the link without its scheme (`https://`, or `http://` for the local server) and
without the last `/{signature}` segment, as UTF-8 bytes: RSASSA-PSS (SHA-256, MGF1-SHA-256, salt 32) for RSA keys,
ECDSA P-256/SHA-256 for EC keys, encoded as IEEE P1363 `r‖s` (64 bytes, the recommended default) or DER. Hashes and
signatures are Base64URL without padding. Only Offline (Type 2) certificates may sign KOD II.

The seller NIP and the context identifier must be real identifiers (`ksef_mcu.identifiers`: the official format
plus ASCII digits and check digits), both when a link is built and when one is parsed.

Parsing is strict: every Base64URL segment must be the canonical encoding of its bytes, so changing any character
of a link — including the unused low bits of the last signature character, which the official portal ignores —
makes verification fail.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import enum
import hashlib
import re
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from ksef_mcu.crypto.certificates import (
    KsefCertificateType,
    ValidityState,
    certificate_serial,
    classify_certificate,
    key_matches_certificate,
    validity_state,
)
from ksef_mcu.crypto.errors import QrError, UnsupportedKeyError
from ksef_mcu.crypto.keys import PrivateKey, PublicKey, key_kind
from ksef_mcu.identifiers import CONTEXT_VALUE_SHAPES, ContextIdentifier, ContextIdentifierType, nip_is_valid

__all__ = [
    "LABEL_CERTIFICATE",
    "LABEL_OFFLINE",
    "PSS_SALT_LENGTH",
    "QR_BASE_URLS",
    "ContextIdentifierType",
    "EcdsaSignatureEncoding",
    "InvoiceHash",
    "InvoiceLink",
    "OfflineQrLink",
    "OfflineQrSigner",
    "QrEnvironment",
    "base64url",
    "build_invoice_link",
    "build_offline_qr_link",
    "check_ksef_number",
    "decode_base64url",
    "parse_invoice_link",
    "parse_offline_qr_link",
    "sign_offline_qr_link",
    "unsigned_offline_qr_link",
    "verify_offline_qr_link",
    "verify_parsed_offline_qr_link",
]
# `ContextIdentifierType` is defined in `ksef_mcu.identifiers`; re-exported because KOD II names a context type.


class QrEnvironment(enum.StrEnum):
    """Environments with a QR verification host."""

    LOCAL = "local"
    TEST = "test"
    DEMO = "demo"
    PROD = "prod"


QR_BASE_URLS: dict[QrEnvironment, str] = {
    # Our own server serves the verification pages under /qr on its usual address.
    QrEnvironment.LOCAL: "http://127.0.0.1:8000/qr",
    QrEnvironment.TEST: "https://qr-test.ksef.mf.gov.pl",
    QrEnvironment.DEMO: "https://qr-demo.ksef.mf.gov.pl",
    QrEnvironment.PROD: "https://qr.ksef.mf.gov.pl",
}
"""Base URL of the QR verification pages per environment (no trailing slash)."""

LABEL_OFFLINE = "OFFLINE"
"""Label under KOD I while the invoice has no KSeF number yet."""
LABEL_CERTIFICATE = "CERTYFIKAT"
"""Label under KOD II."""

PSS_SALT_LENGTH = 32
_SERIAL = re.compile(r"[0-9A-F]{16,40}")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")
_KSEF_NUMBER = re.compile(r"\d{10}-\d{8}-[0-9A-F]{12}-[0-9A-F]{2}")


class EcdsaSignatureEncoding(enum.StrEnum):
    """How an ECDSA KOD II signature is encoded: IEEE P1363 `r‖s` (recommended) or ASN.1 DER (RFC 3279)."""

    P1363 = "p1363"
    DER = "der"


# --- small pieces -------------------------------------------------------------------------------------------------


def base64url(data: bytes) -> str:
    """Base64URL without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def decode_base64url(text: str, what: str) -> bytes:
    """Strictly decode canonical Base64URL without padding; raises `QrError` naming `what` otherwise."""
    if not _BASE64URL.fullmatch(text) or len(text) % 4 == 1:
        raise QrError(f"Nieprawidłowy {what}: oczekiwano Base64URL bez dopełnienia.")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as error:  # pragma: no cover - the checks above admit only decodable text
        raise QrError(f"Nieprawidłowy {what}: oczekiwano Base64URL bez dopełnienia.") from error
    if base64url(data) != text:
        raise QrError(f"Nieprawidłowy {what}: niekanoniczne kodowanie Base64URL.")
    return data


@dataclass(frozen=True, slots=True)
class InvoiceHash:
    """SHA-256 of the invoice XML file bytes exactly as sent to KSeF (32 bytes)."""

    digest: bytes

    def __post_init__(self) -> None:
        if len(self.digest) != 32:
            raise QrError("Skrót faktury musi mieć 32 bajty (SHA-256).")

    @classmethod
    def of(cls, invoice: bytes) -> InvoiceHash:
        """The hash of an invoice file's bytes."""
        return cls(hashlib.sha256(invoice).digest())

    @classmethod
    def parse(cls, text: str) -> InvoiceHash:
        """Read a hash given as standard Base64 (the API's `invoiceHash`) or Base64URL, with or without padding."""
        compact = text.strip()
        compact = compact[:-1] if len(compact) == 44 and compact.endswith("=") else compact
        if not re.fullmatch(r"[A-Za-z0-9+/]{43}|[A-Za-z0-9_-]{43}", compact):
            raise QrError("Nieprawidłowy skrót faktury: oczekiwano SHA-256 w Base64 lub Base64URL (43–44 znaki).")
        return cls(decode_base64url(compact.replace("+", "-").replace("/", "_"), "skrót faktury"))

    @property
    def base64url(self) -> str:
        """Base64URL without padding (43 characters), as in the links."""
        return base64url(self.digest)

    @property
    def base64(self) -> str:
        """Standard Base64 with padding (44 characters), as in the API."""
        return base64.b64encode(self.digest).decode("ascii")


def _invoice_hash(invoice: bytes | InvoiceHash) -> InvoiceHash:
    return invoice if isinstance(invoice, InvoiceHash) else InvoiceHash.of(invoice)


def _check_nip(nip: str, what: str = "NIP sprzedawcy") -> str:
    if not nip_is_valid(nip):
        raise QrError(f"Nieprawidłowy {what}: {nip!r} (oczekiwano 10 cyfr NIP z poprawną cyfrą kontrolną).")
    return nip


def _base_url(base_url: str) -> str:
    if not isinstance(base_url, str) or not re.fullmatch(r"https?://[^\s/?#]+(?:/[^\s?#]*)?", base_url):
        raise QrError(f"Nieprawidłowy adres bazowy kodów QR: {base_url!r} (oczekiwano http(s)://host[/ścieżka]).")
    return base_url.rstrip("/")


def _without_scheme(link: str) -> str:
    return link.split("://", 1)[1]


def check_ksef_number(number: str) -> str:
    """Return `number` if it has the shape of a KSeF invoice number (35 characters), else raise `QrError`."""
    if not _KSEF_NUMBER.fullmatch(number):
        raise QrError(
            f"Nieprawidłowy numer KSeF: {number!r} (oczekiwano NIP-RRRRMMDD-XXXXXXXXXXXX-XX, np. "
            "5265877635-20250729-01004014E040-00)."
        )
    return number


# --- KOD I --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InvoiceLink:
    """A parsed KOD I link."""

    base_url: str
    seller_nip: str
    issue_date: dt.date
    invoice_hash: InvoiceHash

    @property
    def link(self) -> str:
        """The link text."""
        date = f"{self.issue_date.day:02d}-{self.issue_date.month:02d}-{self.issue_date.year:04d}"
        return f"{self.base_url}/invoice/{self.seller_nip}/{date}/{self.invoice_hash.base64url}"


def build_invoice_link(base_url: str, seller_nip: str, issue_date: dt.date, invoice: bytes | InvoiceHash) -> str:
    """The KOD I link: `invoice` is the invoice file's bytes (hashed here) or its `InvoiceHash`.

    `issue_date` is the invoice's P_1 issue date, not the KSeF acceptance date. Raises `QrError` for bad input.
    """
    if not isinstance(issue_date, dt.date):
        raise QrError("Data wystawienia faktury musi być datą.")
    date = issue_date.date() if isinstance(issue_date, dt.datetime) else issue_date
    return InvoiceLink(_base_url(base_url), _check_nip(seller_nip), date, _invoice_hash(invoice)).link


def _split_link(link: str, marker: str, segments: int) -> tuple[str, list[str]]:
    if not isinstance(link, str) or not link.startswith(("https://", "http://")):
        raise QrError("Link musi zaczynać się od https:// albo http://.")
    parts = link.split("/")
    if len(parts) < 3 + segments + 1 or parts[-segments - 1] != marker:
        raise QrError(f"To nie jest link „/{marker}/…” o {segments} segmentach.")
    base = "/".join(parts[: -segments - 1])
    _base_url(base)
    return base, parts[-segments:]


def parse_invoice_link(link: str) -> InvoiceLink:
    """Parse a KOD I link (format only); raises `QrError`."""
    base, (nip, date_text, hash_text) = _split_link(link, "invoice", 3)
    match = re.fullmatch(r"(\d{2})-(\d{2})-(\d{4})", date_text)
    try:
        if match is None:
            raise ValueError(date_text)
        issue_date = dt.date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
    except ValueError as error:
        raise QrError(f"Nieprawidłowa data wystawienia w linku: {date_text!r} (oczekiwano DD-MM-RRRR).") from error
    parsed = InvoiceLink(base, _check_nip(nip), issue_date, InvoiceHash(decode_base64url(hash_text, "skrót faktury")))
    if parsed.link != link:
        raise QrError("Link KOD I nie jest w postaci kanonicznej.")
    return parsed


# --- KOD II -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OfflineQrLink:
    """A parsed KOD II link."""

    base_url: str
    context_type: ContextIdentifierType
    context_value: str
    seller_nip: str
    certificate_serial: str
    invoice_hash: InvoiceHash
    signature: bytes

    @property
    def unsigned_link(self) -> str:
        """The link without the signature segment."""
        return (
            f"{self.base_url}/certificate/{self.context_type}/{self.context_value}/{self.seller_nip}/"
            f"{self.certificate_serial}/{self.invoice_hash.base64url}"
        )

    @property
    def signed_data(self) -> str:
        """The text the signature covers: the unsigned link without its scheme."""
        return _without_scheme(self.unsigned_link)

    @property
    def link(self) -> str:
        """The full link text."""
        return f"{self.unsigned_link}/{base64url(self.signature)}"


def _check_context(context_type: ContextIdentifierType | str, context_value: str) -> ContextIdentifierType:
    try:
        kind = ContextIdentifierType(context_type)
    except ValueError as error:
        allowed = ", ".join(member.value for member in ContextIdentifierType)
        raise QrError(f"Nieznany typ kontekstu: {context_type!r} (dozwolone: {allowed}).") from error
    if not isinstance(context_value, str) or not ContextIdentifier(kind, context_value).is_valid():
        check_digits = "" if kind is ContextIdentifierType.PEPPOL_ID else ", z poprawnymi cyframi kontrolnymi"
        raise QrError(
            f"Nieprawidłowy identyfikator kontekstu {kind}: {context_value!r} "
            f"(oczekiwano: {CONTEXT_VALUE_SHAPES[kind]}{check_digits})."
        )
    return kind


def _check_serial(serial: str) -> str:
    if not isinstance(serial, str) or not _SERIAL.fullmatch(serial):
        raise QrError(f"Nieprawidłowy numer seryjny certyfikatu: {serial!r} (oczekiwano 16 wielkich cyfr hex).")
    return serial


def unsigned_offline_qr_link(
    base_url: str,
    *,
    context_type: ContextIdentifierType | str,
    context_value: str,
    seller_nip: str,
    certificate_serial: str,
    invoice: bytes | InvoiceHash,
) -> str:
    """The KOD II link without its signature segment (what `sign_offline_qr_link` signs). Raises `QrError`."""
    return OfflineQrLink(
        base_url=_base_url(base_url),
        context_type=_check_context(context_type, context_value),
        context_value=context_value,
        seller_nip=_check_nip(seller_nip),
        certificate_serial=_check_serial(certificate_serial),
        invoice_hash=_invoice_hash(invoice),
        signature=b"",
    ).unsigned_link


def _sign(key: PrivateKey, data: bytes, encoding: EcdsaSignatureEncoding) -> bytes:
    try:
        key_kind(key)
    except UnsupportedKeyError as error:
        raise QrError(f"Nie można podpisać KODU II: {error.message}") from error
    if isinstance(key, rsa.RSAPrivateKey):
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=PSS_SALT_LENGTH)
        return key.sign(data, pss, hashes.SHA256())
    der = key.sign(data, ec.ECDSA(hashes.SHA256()))
    if encoding is EcdsaSignatureEncoding.DER:
        return der
    r, s = decode_dss_signature(der)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def sign_offline_qr_link(
    unsigned_link: str, key: PrivateKey, *, ecdsa_encoding: EcdsaSignatureEncoding = EcdsaSignatureEncoding.P1363
) -> str:
    """Append the KOD II signature made with `key` to `unsigned_link` (from `unsigned_offline_qr_link`).

    This signs with the key alone; `build_offline_qr_link` is the checked way that takes the certificate too.
    Raises `QrError` for a malformed link or a key KSeF does not accept.
    """
    parsed = parse_offline_qr_link(unsigned_link + "/" + base64url(b"\x00"))
    signature = _sign(key, parsed.signed_data.encode("utf-8"), EcdsaSignatureEncoding(ecdsa_encoding))
    return f"{parsed.unsigned_link}/{base64url(signature)}"


def _check_validity(certificate: x509.Certificate, now: dt.datetime) -> None:
    state = validity_state(certificate, now)
    if state is ValidityState.EXPIRED:
        raise QrError("Certyfikat offline wygasł; KOD II podpisany nim nie przejdzie weryfikacji.")
    if state is ValidityState.NOT_YET_VALID:
        raise QrError("Certyfikat offline nie jest jeszcze ważny.")


def _check_offline_signer(certificate: x509.Certificate, key: PrivateKey, now: dt.datetime | None) -> None:
    """Refuse a certificate that may not sign KOD II: not Offline (Type 2), not `key`'s, or invalid at `now`."""
    certificate_type = classify_certificate(certificate)
    if certificate_type is KsefCertificateType.AUTHENTICATION:
        raise QrError(
            "Certyfikat uwierzytelniający (Typ 1, Authentication) nie może podpisywać KODU II. "
            "Użyj certyfikatu offline (Typ 2, Offline)."
        )
    if certificate_type is not KsefCertificateType.OFFLINE:
        raise QrError("To nie jest certyfikat KSeF typu Offline (Typ 2): brak keyUsage nonRepudiation.")
    if not key_matches_certificate(key, certificate):
        raise QrError("Klucz prywatny nie pasuje do certyfikatu offline.")
    if now is not None:
        _check_validity(certificate, now)


def build_offline_qr_link(
    base_url: str,
    *,
    context_type: ContextIdentifierType | str,
    context_value: str,
    seller_nip: str,
    invoice: bytes | InvoiceHash,
    certificate: x509.Certificate,
    key: PrivateKey,
    ecdsa_encoding: EcdsaSignatureEncoding = EcdsaSignatureEncoding.P1363,
    now: dt.datetime | None = None,
) -> str:
    """The signed KOD II link for an offline invoice, using an already-loaded Offline certificate and its key.

    Refuses (with `QrError`) an Authentication (Type 1) or non-KSeF certificate, a key that does not match the
    certificate, and — when `now` (timezone-aware) is given — a certificate outside its validity period.
    The serial in the link is the certificate's.
    """
    # One signing path for single links and bulk: the signer makes the same checks, then signs once.
    signer = OfflineQrSigner(
        base_url,
        context_type=context_type,
        context_value=context_value,
        certificate=certificate,
        key=key,
        ecdsa_encoding=ecdsa_encoding,
        now=now,
    )
    return signer.link(seller_nip, invoice, now=now)


_URLSAFE = bytes.maketrans(b"+/", b"-_")
_NIP_MEMO = 1024


class OfflineQrSigner:
    """Signs KOD II links in bulk with one Offline certificate and its key, for one base URL and context.

    Everything that does not change from invoice to invoice is done once here: the checks `build_offline_qr_link`
    makes (Offline type, key matches, validity at `now`), the base URL, context and serial segments, and the signing
    parameters. `link()` then only formats the seller NIP and invoice hash, signs and encodes, and returns exactly the
    link `build_offline_qr_link` returns for the same input (signatures are randomised, so two links of the same
    invoice differ only in their last segment). Instances are safe to share between threads (their only state after
    construction is a memo of the seller NIPs already checked).
    Raises `QrError` for a certificate, key or context that cannot sign KOD II.
    """

    __slots__ = (
        "_checked_nips",
        "_ecdsa",
        "_key",
        "_not_after",
        "_not_before",
        "_p1363",
        "_prefix",
        "_pss",
        "_serial_segment",
        "_signed_offset",
        "certificate",
    )

    def __init__(
        self,
        base_url: str,
        *,
        context_type: ContextIdentifierType | str,
        context_value: str,
        certificate: x509.Certificate,
        key: PrivateKey,
        ecdsa_encoding: EcdsaSignatureEncoding = EcdsaSignatureEncoding.P1363,
        now: dt.datetime | None = None,
    ) -> None:
        try:
            key_kind(key)
        except UnsupportedKeyError as error:
            raise QrError(f"Nie można podpisać KODU II: {error.message}") from error
        _check_offline_signer(certificate, key, now)
        base = _base_url(base_url)
        kind = _check_context(context_type, context_value)
        self.certificate = certificate
        self._key = key
        self._not_before = certificate.not_valid_before_utc
        self._not_after = certificate.not_valid_after_utc
        self._prefix = f"{base}/certificate/{kind}/{context_value}/"
        self._serial_segment = f"/{_check_serial(certificate_serial(certificate))}/"
        # The signature covers the link without its scheme: skip "https://" (or "http://") of the prefix.
        self._signed_offset = base.index("://") + 3
        self._pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=PSS_SALT_LENGTH)
        self._ecdsa = ec.ECDSA(hashes.SHA256())
        self._p1363 = EcdsaSignatureEncoding(ecdsa_encoding) is EcdsaSignatureEncoding.P1363
        self._checked_nips: set[str] = set()

    def link(self, seller_nip: str, invoice: bytes | InvoiceHash, *, now: dt.datetime | None = None) -> str:
        """The signed KOD II link for one invoice: `invoice` is its file's bytes (hashed here) or its `InvoiceHash`.

        With `now` (timezone-aware) a certificate outside its validity period is refused. Raises `QrError`.
        """
        # A real NIP, as everywhere in KOD links. Checking costs ~7 µs (a fifth of the signature), and a signer serves
        # few sellers: each one is checked once, then remembered (a bounded memo; a wrong NIP is never remembered).
        if type(seller_nip) is not str or seller_nip not in self._checked_nips:
            _check_nip(seller_nip)
            if len(self._checked_nips) < _NIP_MEMO:
                self._checked_nips.add(seller_nip)
        if now is not None and not self._not_before <= now <= self._not_after:
            _check_validity(self.certificate, now)
        if isinstance(invoice, InvoiceHash):
            digest = invoice.digest
        elif isinstance(invoice, bytes):
            digest = hashlib.sha256(invoice).digest()
        else:
            raise QrError("Faktura musi być podana jako bajty pliku albo jego skrót (InvoiceHash).")
        unsigned = (
            self._prefix
            + seller_nip
            + self._serial_segment
            + binascii.b2a_base64(digest, newline=False).translate(_URLSAFE).rstrip(b"=").decode("ascii")
        )
        data = unsigned[self._signed_offset :].encode("utf-8")
        key = self._key
        if isinstance(key, rsa.RSAPrivateKey):
            signature = key.sign(data, self._pss, hashes.SHA256())
        else:
            signature = key.sign(data, self._ecdsa)
            if self._p1363:
                r, s = decode_dss_signature(signature)
                signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return unsigned + "/" + binascii.b2a_base64(signature, newline=False).translate(_URLSAFE).rstrip(b"=").decode()


def parse_offline_qr_link(link: str) -> OfflineQrLink:
    """Parse a KOD II link (format only, the signature is not checked); raises `QrError`."""
    base, (context_type, context_value, nip, serial, hash_text, signature_text) = _split_link(link, "certificate", 6)
    parsed = OfflineQrLink(
        base_url=base,
        context_type=_check_context(context_type, context_value),
        context_value=context_value,
        seller_nip=_check_nip(nip),
        certificate_serial=_check_serial(serial),
        invoice_hash=InvoiceHash(decode_base64url(hash_text, "skrót faktury")),
        signature=decode_base64url(signature_text, "podpis"),
    )
    if parsed.link != link:
        raise QrError("Link KOD II nie jest w postaci kanonicznej.")
    return parsed


def _ecdsa_der(signature: bytes) -> bytes:
    if len(signature) == 64:
        r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        return encode_dss_signature(r, s)
    try:
        r, s = decode_dss_signature(signature)
    except ValueError as error:
        raise QrError("Podpis KODU II nie jest ani w formacie IEEE P1363 (64 bajty), ani ASN.1 DER.") from error
    if encode_dss_signature(r, s) != signature:
        raise QrError("Podpis KODU II w formacie DER nie jest kanoniczny.")
    return signature


def verify_offline_qr_link(link: str, key_or_certificate: PublicKey | PrivateKey | x509.Certificate) -> OfflineQrLink:
    """Check a KOD II link's signature with the issuer's certificate (or its public key); return the parsed link.

    ECDSA signatures are accepted in both P1363 and DER. With a certificate, its serial must be the link's.
    This is the cryptographic check only: whether the certificate is an active Offline certificate of someone
    allowed to invoice in that context is the caller's policy. Raises `QrError`.
    """
    return verify_parsed_offline_qr_link(parse_offline_qr_link(link), key_or_certificate)


def verify_parsed_offline_qr_link(
    parsed: OfflineQrLink, key_or_certificate: PublicKey | PrivateKey | x509.Certificate
) -> OfflineQrLink:
    """`verify_offline_qr_link` for a link already parsed (`parse_offline_qr_link`): the signature over its
    `signed_data` (so over its `base_url`, which a caller may replace to check the link as issued for another host).
    Raises `QrError`."""
    if isinstance(key_or_certificate, x509.Certificate):
        if certificate_serial(key_or_certificate) != parsed.certificate_serial:
            raise QrError("Numer seryjny certyfikatu w linku nie odpowiada certyfikatowi.")
        public_key = key_or_certificate.public_key()
    elif isinstance(key_or_certificate, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        public_key = key_or_certificate.public_key()
    else:
        public_key = key_or_certificate
    data = parsed.signed_data.encode("utf-8")
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            if public_key.key_size < 2048:
                raise QrError("Klucz RSA krótszy niż 2048 bitów nie może podpisywać KODU II.")
            pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=PSS_SALT_LENGTH)
            public_key.verify(parsed.signature, data, pss, hashes.SHA256())
        elif isinstance(public_key, ec.EllipticCurvePublicKey) and isinstance(public_key.curve, ec.SECP256R1):
            public_key.verify(_ecdsa_der(parsed.signature), data, ec.ECDSA(hashes.SHA256()))
        else:
            raise QrError("KOD II podpisuje się tylko kluczem RSA (≥ 2048 bitów) albo EC P-256.")
    except InvalidSignature as error:
        raise QrError("Podpis KODU II jest nieprawidłowy.") from error
    return parsed
