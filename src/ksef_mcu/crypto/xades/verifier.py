"""Verify a signed AuthTokenRequest (XAdES) and say who signed what.

What is accepted (see docs/xades.md): an enveloped signature that is a direct child of AuthTokenRequest (or an
enveloping one that carries AuthTokenRequest in a ds:Object), covering

* the whole request: `Reference URI=""` whose first transform removes the signature (enveloped-signature, XPath
  Filter 2.0 `subtract` of `/descendant::ds:Signature`, or XPath `not(ancestor-or-self::ds:Signature)`), optionally
  followed by one canonicalization;
* this signature's `xades:SignedProperties` (with SigningTime and SigningCertificate or SigningCertificateV2);
* optionally this signature's `KeyInfo`;

and nothing else. The content returned is read from the very element whose canonical form was digested, with only
the signature removed, so what the caller sees is what was signed.

How `now` is used: the signing certificate must be valid at `now` (CERTIFICATE_NOT_YET_VALID / CERTIFICATE_EXPIRED,
reported by KSeF asynchronously as status 460, so these errors carry the otherwise verified login in `login`), and
SigningTime may not be later than `now` plus `MAX_CLOCK_SKEW`
(SIGNING_TIME_IN_FUTURE). How old SigningTime may be is the caller's decision: the challenge it signs is only valid
for 10 minutes, and the server knows when it issued it.

Verification keeps no state between calls and is safe to run concurrently.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509.oid import NameOID
from lxml import etree

from ksef_mcu.crypto.certificates import identifier_from_subject, identifiers_in_subject
from ksef_mcu.crypto.certificates import sha256_fingerprint as certificate_fingerprint
from ksef_mcu.crypto.compat import tolerate_ksef_quirks
from ksef_mcu.crypto.errors import XadesError, XadesRejection
from ksef_mcu.crypto.xades._xml import (
    MAX_DOCUMENT_BYTES,
    canonicalize,
    element_children,
    local_name,
    parse_document,
    shown,
    simple_text,
)
from ksef_mcu.crypto.xades.algorithms import (
    DSIG11_NS,
    DSIG_NS,
    EXC_C14N_NS,
    XADES_NS,
    XPATH_FILTER2_NS,
    Canonicalization,
    DigestMethod,
    KeyFamily,
    SignatureMethod,
    Transform,
)
from ksef_mcu.crypto.xades.request import AuthTokenNamespace, read_auth_token_request
from ksef_mcu.identifiers import (
    AllowedIps,
    ContextIdentifier,
    SubjectIdentifier,
    SubjectIdentifierType,
    SubjectIdentifierTypeXml,
)

__all__ = [
    "MAX_CLOCK_SKEW",
    "MIN_EC_CURVE_BITS",
    "MIN_RSA_KEY_BITS",
    "PublicKey",
    "VerifiedLogin",
    "parse_signing_time",
    "verify_auth_token_request",
]

#: How far SigningTime may be ahead of the verifier's clock.
MAX_CLOCK_SKEW = timedelta(minutes=5)

MIN_RSA_KEY_BITS = 2048
MIN_EC_CURVE_BITS = 256

_SIGNATURE = f"{{{DSIG_NS}}}Signature"
_XML_NS_ATTRIBUTE = "{http://www.w3.org/XML/1998/namespace}"
_ID_ATTRIBUTES = ("Id", "ID", "id", _XML_NS_ATTRIBUTE + "id")
_XML_SPACE_RUN = re.compile("[ \t\r\n]+")
_DATE_TIME = re.compile(
    r"[ \t\r\n]*(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?[ \t\r\n]*", re.ASCII
)
_SIGNATURE_SELECTORS = ("/descendant::{}:Signature", "//{}:Signature", "/descendant-or-self::{}:Signature")
_GIVEN_NAME_OR_SURNAME = (NameOID.GIVEN_NAME, NameOID.SURNAME)
_ISSUER_SERIALS = (f"{{{XADES_NS}}}IssuerSerial", f"{{{XADES_NS}}}IssuerSerialV2")


@dataclass(frozen=True, slots=True)
class VerifiedLogin:
    """A verified AuthTokenRequest: what was signed and by whom.

    `subject_identifier` is the NIP/PESEL from the certificate subject (`certificateSubject`) or the certificate's
    SHA-256 fingerprint (`certificateFingerprint`). `signing_time` is SigningTime, timezone-aware UTC.
    """

    challenge: str
    context: ContextIdentifier
    subject_identifier_type: SubjectIdentifierTypeXml
    subject_identifier: SubjectIdentifier
    certificate: x509.Certificate
    signing_time: datetime
    namespace: AuthTokenNamespace
    allowed_ips: AllowedIps | None
    signature_method: SignatureMethod


class _Role(enum.Enum):
    DOCUMENT = "document"
    SIGNED_PROPERTIES = "SignedProperties"
    KEY_INFO = "KeyInfo"


@dataclass(frozen=True, slots=True)
class _C14n:
    method: Canonicalization
    prefixes: tuple[str, ...] | None = None

    def apply(self, node: etree._Element | etree._ElementTree, *, keep_comments: bool = False) -> bytes:
        return canonicalize(
            node,
            exclusive=self.method.exclusive,
            with_comments=keep_comments and self.method.with_comments,
            inclusive_prefixes=list(self.prefixes) if self.prefixes else None,
        )


_DEFAULT_C14N = _C14n(Canonicalization.C14N_1_0)


@dataclass(slots=True)
class _Reference:
    uri: str | None
    transforms: list[etree._Element]
    digest_method: DigestMethod
    digest_value: bytes


@dataclass(slots=True)
class _SignedInfo:
    element: etree._Element
    c14n: _C14n
    method: SignatureMethod
    references: list[_Reference]


@dataclass(slots=True)
class _CertReference:
    digest_method: DigestMethod
    digest_value: bytes
    serial_number: int | None


@dataclass(slots=True)
class _Properties:
    signed_properties: etree._Element
    signing_time: str
    certificates: list[_CertReference]


def _fail(reason: XadesRejection, detail: str | None = None) -> XadesError:
    return XadesError(reason, detail)


def _has_xml_attribute(element: etree._Element) -> bool:
    """Whether the element carries xml:lang/xml:space/xml:base/xml:id (inherited by inclusive C14N subsets)."""
    return any(str(name).startswith(_XML_NS_ATTRIBUTE) for name in element.keys())  # noqa: SIM118


def _dsig(element: etree._Element, name: str) -> bool:
    return element.tag == f"{{{DSIG_NS}}}{name}"


def _base64(text: str | None, reason: XadesRejection, what: str) -> bytes:
    try:
        text = text or ""
        if " " in text or "\n" in text or "\r" in text or "\t" in text:  # base64Binary may be wrapped
            text = _XML_SPACE_RUN.sub("", text)
        value = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise _fail(reason, f"{what}: wartość nie jest poprawnym base64.") from None
    if not value:
        raise _fail(reason, f"{what}: brak wartości.")
    return value


def _children(element: etree._Element, what: str) -> list[etree._Element]:
    children = element_children(element)
    if children is None:
        raise _fail(XadesRejection.SIGNATURE_MALFORMED, f"{what}: niedozwolony tekst wewnątrz elementu.")
    return children


def _text(element: etree._Element, what: str) -> str:
    text = simple_text(element)
    if text is None:
        raise _fail(XadesRejection.SIGNATURE_MALFORMED, f"{what}: element nie może zawierać elementów podrzędnych.")
    return text


def _algorithm(element: etree._Element, what: str) -> str:
    algorithm = element.get("Algorithm")
    if algorithm is None:
        raise _fail(XadesRejection.SIGNATURE_MALFORMED, f"{what}: brak atrybutu Algorithm.")
    return algorithm


def _digest_method(element: etree._Element) -> DigestMethod:
    algorithm = _algorithm(element, "DigestMethod")
    try:
        return DigestMethod(algorithm)
    except ValueError:
        raise _fail(
            XadesRejection.UNSUPPORTED_ALGORITHM,
            f"Podpis złożony z użyciem niewspieranego algorytmu kryptograficznego (DigestMethod {shown(algorithm)}).",
        ) from None


def _canonicalization(element: etree._Element, what: str) -> _C14n:
    algorithm = _algorithm(element, what)
    try:
        method = Canonicalization(algorithm)
    except ValueError:
        raise _fail(
            XadesRejection.UNSUPPORTED_ALGORITHM,
            f"Niewspierany algorytm kanonikalizacji ({what} {shown(algorithm)}).",
        ) from None
    prefixes: tuple[str, ...] | None = None
    for child in _children(element, what):
        if method.exclusive and child.tag == f"{{{EXC_C14N_NS}}}InclusiveNamespaces" and prefixes is None:
            prefixes = tuple((child.get("PrefixList") or "").split())
        else:
            raise _fail(
                XadesRejection.SIGNATURE_MALFORMED, f"{what}: nieoczekiwany element {shown(local_name(child.tag))}."
            )
    return _C14n(method, prefixes)


# --- locating the signature --------------------------------------------------------------------------------------


def _locate(root: etree._Element) -> tuple[etree._Element, etree._Element, etree._Element | None]:
    """(signature, the AuthTokenRequest element, the ds:Object holding it for an enveloping signature or None)."""
    signatures = list(root.iter(_SIGNATURE))
    if not signatures:
        raise _fail(XadesRejection.NO_SIGNATURE)
    if len(signatures) > 1:
        raise _fail(
            XadesRejection.TOO_MANY_SIGNATURES, f"Dokument zawiera {len(signatures)} podpisy; dozwolony jest jeden."
        )
    signature = signatures[0]
    if signature is root:
        for child in root:
            if _dsig(child, "Object"):
                content = element_children(child)
                if content and len(content) == 1 and local_name(content[0].tag) == "AuthTokenRequest":
                    return signature, content[0], child
        raise _fail(XadesRejection.DETACHED_SIGNATURE, "Podpis nie zawiera ani nie jest zawarty w AuthTokenRequest.")
    if local_name(root.tag) != "AuthTokenRequest":
        raise _fail(
            XadesRejection.SCHEMA_INVALID,
            f"Elementem głównym musi być AuthTokenRequest, a jest '{shown(local_name(root.tag))}'.",
        )
    if signature.getparent() is not root:
        raise _fail(XadesRejection.SIGNATURE_MISPLACED)
    return signature, root, None


# --- reading the signature ---------------------------------------------------------------------------------------


def _read_signed_info(element: etree._Element) -> _SignedInfo:
    children = _children(element, "SignedInfo")
    if (
        len(children) < 3
        or not _dsig(children[0], "CanonicalizationMethod")
        or not _dsig(children[1], "SignatureMethod")
    ):
        raise _fail(
            XadesRejection.SIGNATURE_MALFORMED,
            "SignedInfo musi zawierać CanonicalizationMethod, SignatureMethod i co najmniej jedną Reference.",
        )
    c14n = _canonicalization(children[0], "CanonicalizationMethod")
    algorithm = _algorithm(children[1], "SignatureMethod")
    try:
        method = SignatureMethod(algorithm)
    except ValueError:
        raise _fail(
            XadesRejection.UNSUPPORTED_ALGORITHM,
            "Podpis złożony z użyciem niewspieranego algorytmu kryptograficznego "
            f"(SignatureMethod {shown(algorithm)}).",
        ) from None
    if _children(children[1], "SignatureMethod"):
        raise _fail(XadesRejection.SIGNATURE_MALFORMED, "SignatureMethod nie może mieć parametrów.")
    references = []
    for child in children[2:]:
        if not _dsig(child, "Reference"):
            raise _fail(
                XadesRejection.SIGNATURE_MALFORMED, f"SignedInfo: nieoczekiwany element {shown(local_name(child.tag))}."
            )
        references.append(_read_reference(child))
    return _SignedInfo(element, c14n, method, references)


def _read_reference(element: etree._Element) -> _Reference:
    children = _children(element, "Reference")
    transforms: list[etree._Element] = []
    if children and _dsig(children[0], "Transforms"):
        transforms = _children(children.pop(0), "Transforms")
        if not transforms or not all(_dsig(transform, "Transform") for transform in transforms):
            raise _fail(XadesRejection.SIGNATURE_MALFORMED, "Transforms musi zawierać wyłącznie elementy Transform.")
    if len(children) != 2 or not _dsig(children[0], "DigestMethod") or not _dsig(children[1], "DigestValue"):
        raise _fail(XadesRejection.SIGNATURE_MALFORMED, "Reference musi zawierać DigestMethod i DigestValue.")
    digest_method = _digest_method(children[0])
    digest_value = _base64(_text(children[1], "DigestValue"), XadesRejection.SIGNATURE_MALFORMED, "DigestValue")
    return _Reference(element.get("URI"), transforms, digest_method, digest_value)


def _read_properties(signature: etree._Element, objects: list[etree._Element]) -> _Properties:
    qualifying = [child for item in objects for child in item if child.tag == f"{{{XADES_NS}}}QualifyingProperties"]
    if not qualifying:
        raise _fail(XadesRejection.SIGNED_PROPERTIES_MISSING, None)
    if len(qualifying) > 1:
        raise _fail(
            XadesRejection.QUALIFYING_PROPERTIES_INVALID, "Podpis zawiera więcej niż jedne QualifyingProperties."
        )
    properties = qualifying[0]
    if _has_xml_attribute(properties):
        raise _fail(XadesRejection.SIGNATURE_MALFORMED, "Atrybuty xml:* na QualifyingProperties nie są obsługiwane.")
    signature_id = signature.get("Id")
    if signature_id is None or properties.get("Target") != "#" + signature_id:
        raise _fail(
            XadesRejection.QUALIFYING_PROPERTIES_INVALID,
            "Atrybut Target elementu QualifyingProperties musi wskazywać Id podpisu.",
        )
    signed = [
        child for child in _children(properties, "QualifyingProperties") if local_name(child.tag) == "SignedProperties"
    ]
    if not signed:
        raise _fail(XadesRejection.SIGNED_PROPERTIES_MISSING)
    if len(signed) > 1 or signed[0].tag != f"{{{XADES_NS}}}SignedProperties":
        raise _fail(XadesRejection.QUALIFYING_PROPERTIES_INVALID, "Nieprawidłowy element SignedProperties.")
    signed_properties = signed[0]
    signature_properties = [
        child
        for child in _children(signed_properties, "SignedProperties")
        if child.tag == f"{{{XADES_NS}}}SignedSignatureProperties"
    ]
    if len(signature_properties) > 1:
        raise _fail(XadesRejection.QUALIFYING_PROPERTIES_INVALID, "Więcej niż jedne SignedSignatureProperties.")
    items = _children(signature_properties[0], "SignedSignatureProperties") if signature_properties else []

    def named(name: str) -> list[etree._Element]:
        return [item for item in items if item.tag == f"{{{XADES_NS}}}{name}"]

    version_1, version_2 = named("SigningCertificate"), named("SigningCertificateV2")
    if not version_1 and not version_2:
        raise _fail(XadesRejection.SIGNING_CERTIFICATE_MISSING)
    if len(version_1) + len(version_2) > 1:
        raise _fail(
            XadesRejection.QUALIFYING_PROPERTIES_INVALID,
            "Dozwolony jest dokładnie jeden element SigningCertificate albo SigningCertificateV2.",
        )
    certificates = [_read_cert_reference(cert) for cert in _children((version_1 or version_2)[0], "SigningCertificate")]
    if not certificates:
        raise _fail(XadesRejection.SIGNING_CERTIFICATE_MISSING, "SigningCertificate nie zawiera elementu Cert.")
    times = named("SigningTime")
    if not times:
        raise _fail(XadesRejection.SIGNING_TIME_MISSING)
    if len(times) > 1:
        raise _fail(XadesRejection.QUALIFYING_PROPERTIES_INVALID, "Więcej niż jeden element SigningTime.")
    return _Properties(signed_properties, _text(times[0], "SigningTime"), certificates)


def _read_cert_reference(cert: etree._Element) -> _CertReference:
    if cert.tag != f"{{{XADES_NS}}}Cert":
        raise _fail(
            XadesRejection.QUALIFYING_PROPERTIES_INVALID,
            f"SigningCertificate: nieoczekiwany element {shown(local_name(cert.tag))}.",
        )
    # Cert = CertDigest, then IssuerSerial (SigningCertificate) or IssuerSerialV2 (SigningCertificateV2), optional.
    parts = _children(cert, "Cert")
    if not parts or parts[0].tag != f"{{{XADES_NS}}}CertDigest" or len(parts) > 2:
        raise _fail(XadesRejection.QUALIFYING_PROPERTIES_INVALID, "Cert musi zawierać CertDigest i IssuerSerial.")
    digest_parts = _children(parts[0], "CertDigest")
    if (
        len(digest_parts) != 2
        or not _dsig(digest_parts[0], "DigestMethod")
        or not _dsig(digest_parts[1], "DigestValue")
    ):
        raise _fail(
            XadesRejection.QUALIFYING_PROPERTIES_INVALID, "CertDigest musi zawierać DigestMethod i DigestValue."
        )
    issuer_serial = parts[1] if len(parts) == 2 else None
    if issuer_serial is not None and issuer_serial.tag not in _ISSUER_SERIALS:
        raise _fail(
            XadesRejection.QUALIFYING_PROPERTIES_INVALID,
            f"Cert: nieoczekiwany element {shown(local_name(issuer_serial.tag))}.",
        )
    serial_number = None
    # IssuerSerialV2 is a DER IssuerAndSerialNumber; CertDigest already binds the certificate, so it is not decoded.
    if issuer_serial is not None and issuer_serial.tag == f"{{{XADES_NS}}}IssuerSerial":
        serials = [child for child in _children(issuer_serial, "IssuerSerial") if _dsig(child, "X509SerialNumber")]
        if len(serials) != 1:
            raise _fail(XadesRejection.QUALIFYING_PROPERTIES_INVALID, "IssuerSerial musi zawierać X509SerialNumber.")
        text = _text(serials[0], "X509SerialNumber").strip(" \t\r\n")
        if not re.fullmatch(r"-?[0-9]+", text):
            raise _fail(XadesRejection.QUALIFYING_PROPERTIES_INVALID, "X509SerialNumber musi być liczbą całkowitą.")
        serial_number = int(text)
    return _CertReference(
        _digest_method(digest_parts[0]),
        _base64(_text(digest_parts[1], "DigestValue"), XadesRejection.QUALIFYING_PROPERTIES_INVALID, "CertDigest"),
        serial_number,
    )


# --- references --------------------------------------------------------------------------------------------------


def _id_index(root: etree._Element) -> dict[str, list[etree._Element]]:
    """Every element by each of its Id/ID/id/xml:id values (to resolve `#id` and to catch duplicates)."""
    index: dict[str, list[etree._Element]] = {}
    for element in root.iter():
        for attribute, value in element.items():
            if attribute in _ID_ATTRIBUTES:
                index.setdefault(str(value), []).append(element)
    return index


def _classify(
    references: list[_Reference],
    root: etree._Element,
    request_object: etree._Element | None,
    signed_properties: etree._Element,
    key_info: etree._Element | None,
) -> dict[_Role, _Reference]:
    roles: dict[_Role, _Reference] = {}
    index: dict[str, list[etree._Element]] | None = None
    for reference in references:
        uri = reference.uri
        if uri is None:
            raise _fail(
                XadesRejection.REFERENCE_TARGET_NOT_FOUND,
                "Element wskazywany przez referencję 'null' nie został odnaleziony.",
            )
        if uri == "":
            if request_object is not None:
                raise _fail(XadesRejection.UNEXPECTED_REFERENCE, 'Referencja URI="" w podpisie otaczającym.')
            role = _Role.DOCUMENT
        elif uri.startswith("#") and not uri.startswith("#xpointer("):
            if index is None:
                index = _id_index(root)
            targets = index.get(uri[1:], [])
            if not targets:
                raise _fail(
                    XadesRejection.REFERENCE_TARGET_NOT_FOUND,
                    f"Element wskazywany przez referencję '{shown(uri)}' nie został odnaleziony.",
                )
            if len(targets) > 1:
                raise _fail(
                    XadesRejection.DUPLICATE_ID, f"Identyfikator '{shown(uri[1:])}' występuje {len(targets)} razy."
                )
            target = targets[0]
            if target is signed_properties:
                role = _Role.SIGNED_PROPERTIES
            elif key_info is not None and target is key_info:
                role = _Role.KEY_INFO
            elif request_object is not None and target is request_object:
                role = _Role.DOCUMENT
            else:
                raise _fail(
                    XadesRejection.UNEXPECTED_REFERENCE,
                    f"Referencja '{shown(uri)}' wskazuje element {shown(local_name(target.tag))}, "
                    "który nie może być podpisany.",
                )
        elif uri.startswith("#"):
            raise _fail(
                XadesRejection.UNEXPECTED_REFERENCE, f"Referencje XPointer ('{shown(uri)}') nie są obsługiwane."
            )
        else:
            raise _fail(
                XadesRejection.DETACHED_SIGNATURE,
                f"Referencja '{shown(uri)}' wskazuje dane spoza dokumentu; "
                "podpis zewnętrzny (detached) nie jest akceptowany.",
            )
        if role in roles:
            raise _fail(
                XadesRejection.UNEXPECTED_REFERENCE, f"Podpis zawiera więcej niż jedną referencję do {role.value}."
            )
        roles[role] = reference
    if _Role.DOCUMENT not in roles:
        raise _fail(XadesRejection.DOCUMENT_NOT_SIGNED)
    if _Role.SIGNED_PROPERTIES not in roles:
        raise _fail(XadesRejection.SIGNED_PROPERTIES_MISSING, "Żadna referencja podpisu nie obejmuje SignedProperties.")
    return roles


def _is_signature_selector(expression: str, element: etree._Element, selectors: tuple[str, ...]) -> bool:
    compact = "".join(expression.split())
    for prefix, uri in element.nsmap.items():
        if prefix and uri == DSIG_NS and compact in {selector.format(prefix) for selector in selectors}:
            return True
    return False


def _removes_signature(transform: etree._Element) -> bool:
    algorithm = transform.get("Algorithm")
    children = _children(transform, "Transform")
    if algorithm == Transform.ENVELOPED_SIGNATURE:
        return not children
    if algorithm == Transform.XPATH_FILTER2:
        return (
            len(children) == 1
            and children[0].tag == f"{{{XPATH_FILTER2_NS}}}XPath"
            and children[0].get("Filter") == "subtract"
            and _is_signature_selector(_text(children[0], "XPath"), children[0], _SIGNATURE_SELECTORS)
        )
    if algorithm == Transform.XPATH:
        return (
            len(children) == 1
            and _dsig(children[0], "XPath")
            and _is_signature_selector(
                _text(children[0], "XPath"), children[0], ("not(ancestor-or-self::{}:Signature)",)
            )
        )
    return False


def _reference_c14n(role: _Role, reference: _Reference, enveloped: bool) -> _C14n:
    """The canonicalization a reference ends with, after checking its transforms are allowed for its role."""
    transforms = list(reference.transforms)
    label = "''" if reference.uri == "" else f"'{shown(reference.uri)}'"
    if role is _Role.DOCUMENT and enveloped:
        if not transforms or not _removes_signature(transforms[0]):
            raise _fail(
                XadesRejection.UNSUPPORTED_TRANSFORM,
                "Pierwszą transformatą referencji do dokumentu musi być usunięcie podpisu (enveloped-signature, "
                "XPath Filter 2.0 subtract lub XPath not(ancestor-or-self::ds:Signature)).",
            )
        transforms.pop(0)
    if not transforms:
        return _DEFAULT_C14N
    if len(transforms) == 1:
        try:
            Canonicalization(transforms[0].get("Algorithm") or "")
        except ValueError:
            pass
        else:
            return _canonicalization(transforms[0], "Transform")
    names = ", ".join(shown(transform.get("Algorithm") or "?") for transform in reference.transforms)
    raise _fail(XadesRejection.UNSUPPORTED_TRANSFORM, f"Niedozwolone transformaty referencji {label}: {names}.")


def _check_digest(reference: _Reference, data: bytes) -> None:
    digest = hashlib.new(reference.digest_method.hashlib_name, data).digest()
    if not hmac.compare_digest(digest, reference.digest_value):
        raise _fail(
            XadesRejection.DIGEST_MISMATCH,
            f"Nieprawidłowa wartość skrótu dla referencji wskazującej na element '{shown(reference.uri)}'.",
        )


def _remove_signature(signature: etree._Element) -> None:
    """Detach the signature, keeping the text that follows it (the enveloped-signature transform keeps it too)."""
    parent = signature.getparent()
    assert parent is not None  # noqa: S101 - an enveloped signature always has its request as parent
    tail = signature.tail
    previous = signature.getprevious()
    if tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(signature)


# --- certificate and key -----------------------------------------------------------------------------------------


def _key_info_parts(key_info: etree._Element | None) -> tuple[list[bytes], list[etree._Element]]:
    """(DER certificates from X509Data, KeyValue/DEREncodedKeyValue elements)."""
    if key_info is None:
        raise _fail(XadesRejection.CERTIFICATE_MISSING)
    certificates, keys = [], []
    for child in _children(key_info, "KeyInfo"):
        if _dsig(child, "X509Data"):
            for item in _children(child, "X509Data"):
                if _dsig(item, "X509Certificate"):
                    certificates.append(
                        _base64(
                            _text(item, "X509Certificate"), XadesRejection.CERTIFICATE_UNREADABLE, "X509Certificate"
                        )
                    )
        elif _dsig(child, "KeyValue") or child.tag == f"{{{DSIG11_NS}}}DEREncodedKeyValue":
            keys.append(child)
    if not certificates:
        raise _fail(XadesRejection.CERTIFICATE_MISSING)
    return certificates, keys


def _load_certificate(der: bytes) -> x509.Certificate:
    try:
        # KSeF's own certificates carry quirks cryptography warns about (NULL ECDSA parameters, long names).
        with tolerate_ksef_quirks():
            certificate = x509.load_der_x509_certificate(der)
            # cryptography parses lazily: read now what verification uses later, so a bad field fails here.
            _ = certificate.subject, certificate.not_valid_before_utc, certificate.not_valid_after_utc
    except Exception:
        # Whatever cryptography raises on malformed DER (ValueError, TypeError, InvalidVersion, and in 48.x even
        # KeyError for unknown string types), and warnings raised as errors (a non-positive serial): unreadable.
        raise _fail(XadesRejection.CERTIFICATE_UNREADABLE) from None
    if certificate.serial_number <= 0:
        raise _fail(XadesRejection.CERTIFICATE_UNREADABLE, "Numer seryjny certyfikatu musi być dodatni (RFC 5280).")
    return certificate


def _signing_certificate(ders: list[bytes], references: list[_CertReference]) -> x509.Certificate:
    """The KeyInfo certificate that SigningCertificate names (its first Cert when KeyInfo carries a chain)."""
    # One certificate may match any Cert entry; in a chain, the signer is the one the first Cert entry names.
    wanted = references if len(ders) == 1 else references[:1]
    for der in ders:
        for reference in wanted:
            digest = hashlib.new(reference.digest_method.hashlib_name, der).digest()
            if hmac.compare_digest(digest, reference.digest_value):
                certificate = _load_certificate(der)
                if reference.serial_number is not None and reference.serial_number != certificate.serial_number:
                    raise _fail(
                        XadesRejection.SIGNING_CERTIFICATE_MISMATCH,
                        "Numer seryjny w SigningCertificate/IssuerSerial nie jest numerem seryjnym certyfikatu.",
                    )
                return certificate
    for der in ders:  # make an unreadable certificate the reported cause rather than the digest
        _load_certificate(der)
    raise _fail(XadesRejection.SIGNING_CERTIFICATE_MISMATCH)


PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey


def _checked_public_key(certificate: x509.Certificate, method: SignatureMethod) -> PublicKey:
    try:
        key = certificate.public_key()
    except (ValueError, UnsupportedAlgorithm, KeyError, TypeError):
        raise _fail(
            XadesRejection.CERTIFICATE_UNREADABLE, "Nie można odczytać klucza publicznego certyfikatu."
        ) from None
    if isinstance(key, rsa.RSAPublicKey) and method.family in (KeyFamily.RSA_PKCS1V15, KeyFamily.RSA_PSS):
        if key.key_size < MIN_RSA_KEY_BITS:
            raise _fail(
                XadesRejection.KEY_TOO_WEAK,
                f"Klucz RSA ma {key.key_size} bitów; wymagane jest co najmniej {MIN_RSA_KEY_BITS}.",
            )
        return key
    if isinstance(key, ec.EllipticCurvePublicKey) and method.family is KeyFamily.ECDSA:
        if key.curve.key_size < MIN_EC_CURVE_BITS:
            raise _fail(
                XadesRejection.KEY_TOO_WEAK,
                f"Krzywa {key.curve.name} ma {key.curve.key_size} bitów; "
                f"wymagane jest co najmniej {MIN_EC_CURVE_BITS}.",
            )
        return key
    kind = "RSA" if isinstance(key, rsa.RSAPublicKey) else "EC" if isinstance(key, ec.EllipticCurvePublicKey) else "?"
    raise _fail(
        XadesRejection.KEY_ALGORITHM_MISMATCH,
        f"Algorytm podpisu {method.family.value} nie pasuje do klucza {kind} certyfikatu.",
    )


def _check_key_values(keys: list[etree._Element], public_key: PublicKey) -> None:
    for element in keys:
        if element.tag == f"{{{DSIG11_NS}}}DEREncodedKeyValue":
            encoded = _base64(
                _text(element, "DEREncodedKeyValue"), XadesRejection.KEY_VALUE_MISMATCH, "DEREncodedKeyValue"
            )
            if encoded != public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo):
                raise _fail(XadesRejection.KEY_VALUE_MISMATCH)
            continue
        values = _children(element, "KeyValue")
        if len(values) != 1:
            raise _fail(XadesRejection.SIGNATURE_MALFORMED, "KeyValue musi zawierać dokładnie jeden klucz.")
        value = values[0]
        if _dsig(value, "RSAKeyValue"):
            _check_rsa_key_value(value, public_key)
        elif value.tag == f"{{{DSIG11_NS}}}ECKeyValue":
            _check_ec_key_value(value, public_key)
        else:
            raise _fail(
                XadesRejection.KEY_VALUE_MISMATCH, f"Nieobsługiwany rodzaj KeyValue: {shown(local_name(value.tag))}."
            )


def _check_rsa_key_value(value: etree._Element, public_key: PublicKey) -> None:
    parts = {
        local_name(child.tag): child
        for child in _children(value, "RSAKeyValue")
        if child.tag.startswith(f"{{{DSIG_NS}}}")
    }
    if set(parts) != {"Modulus", "Exponent"} or not isinstance(public_key, rsa.RSAPublicKey):
        raise _fail(XadesRejection.KEY_VALUE_MISMATCH)
    modulus = int.from_bytes(
        _base64(_text(parts["Modulus"], "Modulus"), XadesRejection.KEY_VALUE_MISMATCH, "Modulus"), "big"
    )
    exponent = int.from_bytes(
        _base64(_text(parts["Exponent"], "Exponent"), XadesRejection.KEY_VALUE_MISMATCH, "Exponent"), "big"
    )
    numbers = public_key.public_numbers()
    if (modulus, exponent) != (numbers.n, numbers.e):
        raise _fail(XadesRejection.KEY_VALUE_MISMATCH)


def _check_ec_key_value(value: etree._Element, public_key: PublicKey) -> None:
    parts = {
        local_name(child.tag): child
        for child in _children(value, "ECKeyValue")
        if child.tag.startswith(f"{{{DSIG11_NS}}}")
    }
    if set(parts) != {"NamedCurve", "PublicKey"} or not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise _fail(XadesRejection.KEY_VALUE_MISMATCH)
    curve_uri = parts["NamedCurve"].get("URI") or ""
    try:
        curve = ec.get_curve_for_oid(x509.ObjectIdentifier(curve_uri.removeprefix("urn:oid:")))()
    except (ValueError, LookupError):
        raise _fail(XadesRejection.KEY_VALUE_MISMATCH, f"Nieznana krzywa w ECKeyValue: '{shown(curve_uri)}'.") from None
    point = _base64(_text(parts["PublicKey"], "PublicKey"), XadesRejection.KEY_VALUE_MISMATCH, "ECKeyValue/PublicKey")
    if curve.name != public_key.curve.name:
        raise _fail(XadesRejection.KEY_VALUE_MISMATCH)
    try:
        claimed = ec.EllipticCurvePublicKey.from_encoded_point(public_key.curve, point)
    except ValueError:
        raise _fail(XadesRejection.KEY_VALUE_MISMATCH) from None
    if claimed.public_numbers() != public_key.public_numbers():
        raise _fail(XadesRejection.KEY_VALUE_MISMATCH)


def _verify_signature_value(value: bytes, data: bytes, method: SignatureMethod, key: PublicKey) -> None:
    algorithm = method.hash_algorithm()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            if method.family is KeyFamily.RSA_PSS:
                pss = padding.PSS(mgf=padding.MGF1(algorithm), salt_length=algorithm.digest_size)
                key.verify(value, data, pss, algorithm)
            else:
                key.verify(value, data, padding.PKCS1v15(), algorithm)
            return
        if len(value) % 2:
            raise _fail(
                XadesRejection.SIGNATURE_VALUE_MALFORMED,
                "Wartość podpisu ECDSA musi mieć postać R||S (IEEE P1363), a ma nieparzystą długość"
                + (" (wygląda na DER)." if _looks_like_der(value) else "."),
            )
        half = len(value) // 2
        r, s = int.from_bytes(value[:half], "big"), int.from_bytes(value[half:], "big")
        key.verify(encode_dss_signature(r, s), data, ec.ECDSA(algorithm))
    except InvalidSignature:
        if isinstance(key, ec.EllipticCurvePublicKey) and _looks_like_der(value):
            raise _fail(
                XadesRejection.SIGNATURE_VALUE_MALFORMED,
                "Wartość podpisu ECDSA musi mieć postać R||S (IEEE P1363), a nie DER.",
            ) from None
        raise _fail(XadesRejection.SIGNATURE_MISMATCH) from None


def _looks_like_der(value: bytes) -> bool:
    return len(value) > 8 and value[0] == 0x30 and value[1] == len(value) - 2 and value[2] == 0x02


# --- time and subject --------------------------------------------------------------------------------------------


def parse_signing_time(text: str) -> datetime:
    """An XML Schema dateTime (0-9+ fractional digits, `Z`/`±hh:mm` or none = UTC) as an aware UTC datetime.

    Raises `XadesError` (SIGNING_TIME_INVALID).
    """
    match = _DATE_TIME.fullmatch(text)
    if match is None:
        raise _fail(
            XadesRejection.SIGNING_TIME_INVALID, f"SigningTime '{shown(text.strip())}' nie jest datą i godziną."
        )
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        tz = UTC
        if zone and zone != "Z":
            sign = -1 if zone[0] == "-" else 1
            tz = timezone(sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second),
            int((fraction or "0")[:6].ljust(6, "0")), tzinfo=tz,
        )  # fmt: skip
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise _fail(
            XadesRejection.SIGNING_TIME_INVALID, f"SigningTime '{shown(text.strip())}' nie jest datą i godziną."
        ) from None


def _subject(subject_type: SubjectIdentifierTypeXml, certificate: x509.Certificate) -> SubjectIdentifier:
    if subject_type is SubjectIdentifierTypeXml.CERTIFICATE_FINGERPRINT:
        return SubjectIdentifier(SubjectIdentifierType.FINGERPRINT, certificate_fingerprint(certificate))
    subject = certificate.subject  # parsed (and cached by cryptography) in _load_certificate
    identifier = identifier_from_subject(subject)
    if identifier is None:
        raise _fail(XadesRejection.CERTIFICATE_WITHOUT_IDENTIFIER)
    if len(identifiers_in_subject(subject)) > 1:
        # Two different identities (VATPL-A and TINPL-B, two serialNumbers): none may silently win.
        raise _fail(XadesRejection.AMBIGUOUS_IDENTITY)
    if identifier.type is SubjectIdentifierType.NIP and any(
        subject.get_attributes_for_oid(oid) for oid in _GIVEN_NAME_OR_SURNAME
    ):
        # A seal is a certificate identified by its organizationIdentifier (no person identifier in serialNumber);
        # a PESEL only ever comes from a person's serialNumber.
        person = x509.Name([attribute for attribute in subject if attribute.oid == NameOID.SERIAL_NUMBER])
        if identifier_from_subject(person) is None:
            raise _fail(XadesRejection.SEAL_WITH_PERSON_ATTRIBUTES)
    return identifier


# --- the whole check ---------------------------------------------------------------------------------------------


def _verify_signature(
    tree: etree._ElementTree,
    root: etree._Element,
    signature: etree._Element,
    request_object: etree._Element | None,
) -> tuple[x509.Certificate, _Properties, _SignedInfo]:
    """Check one located signature completely: structure, references, certificate, signature value and every digest.

    For an enveloped signature (`request_object` None) the signature is removed from the tree on success, leaving
    the document exactly as signed.
    """
    for element in (signature, *signature.iterancestors()):
        if _has_xml_attribute(element):
            raise _fail(
                XadesRejection.SIGNATURE_MALFORMED, "Atrybuty xml:* na podpisie i jego przodkach nie są obsługiwane."
            )

    parts = _children(signature, "Signature")
    if len(parts) < 2 or not _dsig(parts[0], "SignedInfo") or not _dsig(parts[1], "SignatureValue"):
        raise _fail(XadesRejection.SIGNATURE_MALFORMED, "Signature musi zaczynać się od SignedInfo i SignatureValue.")
    signed_info = _read_signed_info(parts[0])
    signature_value = _base64(
        _text(parts[1], "SignatureValue"), XadesRejection.SIGNATURE_VALUE_MALFORMED, "SignatureValue"
    )
    rest = parts[2:]
    key_info = rest.pop(0) if rest and _dsig(rest[0], "KeyInfo") else None
    if not all(_dsig(item, "Object") for item in rest):
        raise _fail(XadesRejection.SIGNATURE_MALFORMED, "Po KeyInfo podpis może zawierać wyłącznie elementy Object.")
    for item in rest:
        if _has_xml_attribute(item):
            raise _fail(XadesRejection.SIGNATURE_MALFORMED, "Atrybuty xml:* na elementach Object nie są obsługiwane.")

    properties = _read_properties(signature, [item for item in rest if item is not request_object])
    roles = _classify(signed_info.references, root, request_object, properties.signed_properties, key_info)
    enveloped = request_object is None
    c14n_by_role = {role: _reference_c14n(role, reference, enveloped) for role, reference in roles.items()}

    certificate_ders, key_values = _key_info_parts(key_info)
    certificate = _signing_certificate(certificate_ders, properties.certificates)
    public_key = _checked_public_key(certificate, signed_info.method)
    _check_key_values(key_values, public_key)

    # SignedInfo is canonicalized in its document context: inclusive C14N sees the namespaces of its ancestors.
    canonical_signed_info = signed_info.c14n.apply(signed_info.element, keep_comments=True)
    _verify_signature_value(signature_value, canonical_signed_info, signed_info.method, public_key)
    _check_digest(
        roles[_Role.SIGNED_PROPERTIES], c14n_by_role[_Role.SIGNED_PROPERTIES].apply(properties.signed_properties)
    )
    if _Role.KEY_INFO in roles and key_info is not None:
        _check_digest(roles[_Role.KEY_INFO], c14n_by_role[_Role.KEY_INFO].apply(key_info))
    if enveloped:
        # Last use of the signature's subtree: from here on the tree is the document exactly as signed.
        _remove_signature(signature)
        _check_digest(roles[_Role.DOCUMENT], c14n_by_role[_Role.DOCUMENT].apply(tree))
    else:
        assert request_object is not None  # noqa: S101 - enveloping: the request sits in this ds:Object
        _check_digest(roles[_Role.DOCUMENT], c14n_by_role[_Role.DOCUMENT].apply(request_object))
    return certificate, properties, signed_info


def verify_auth_token_request(xml: bytes, *, now: datetime) -> VerifiedLogin:
    """Verify a signed AuthTokenRequest and return its signed content and signer.

    `now` is timezone-aware (see the module docstring for how it is used). Raises `XadesError` whose `reason` names
    the cause and whose `code`/`description`/`details` are what KSeF answers; never anything else for bad input.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    tree = parse_document(xml)
    root = tree.getroot()
    signature, request, request_object = _locate(root)
    certificate, properties, signed_info = _verify_signature(tree, root, signature, request_object)
    content = read_auth_token_request(request)
    signing_time = parse_signing_time(properties.signing_time)

    if signing_time > now + MAX_CLOCK_SKEW:
        raise _fail(
            XadesRejection.SIGNING_TIME_IN_FUTURE,
            f"SigningTime {signing_time:%Y-%m-%d %H:%M:%S} UTC jest późniejszy niż bieżący czas serwera.",
        )
    login = VerifiedLogin(
        challenge=content.challenge,
        context=content.context,
        subject_identifier_type=content.subject_identifier_type,
        subject_identifier=_subject(content.subject_identifier_type, certificate),
        certificate=certificate,
        signing_time=signing_time,
        namespace=content.namespace,
        allowed_ips=content.allowed_ips,
        signature_method=signed_info.method,
    )
    # The signature is sound; KSeF reports a certificate outside its validity as the login's status (460), so the
    # error carries the verified login for a caller that wants to record it.
    if now < certificate.not_valid_before_utc:
        raise XadesError(
            XadesRejection.CERTIFICATE_NOT_YET_VALID,
            f"Certyfikat jest ważny od {certificate.not_valid_before_utc:%Y-%m-%d %H:%M:%S} UTC.",
            login=login,
        )
    if now > certificate.not_valid_after_utc:
        raise XadesError(
            XadesRejection.CERTIFICATE_EXPIRED,
            f"Certyfikat był ważny do {certificate.not_valid_after_utc:%Y-%m-%d %H:%M:%S} UTC.",
            login=login,
        )
    return login


# --- any document with an enveloped signature (e.g. a UPO) -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VerifiedDocument:
    """A document whose enveloped XAdES signature verified: `root` is the document element exactly as signed (the
    signature removed), `certificate` the signer's, `signing_time` its SigningTime (aware, UTC)."""

    root: etree._Element
    certificate: x509.Certificate
    signing_time: datetime
    signature_method: SignatureMethod


def verify_enveloped_document(
    xml: bytes, *, root_tag: str, now: datetime, max_bytes: int = MAX_DOCUMENT_BYTES
) -> VerifiedDocument:
    """Verify a document signed by `XadesSigner.sign_enveloped` (or any signer using the same accepted profile).

    `root_tag` is the expected document element in Clark notation (`{namespace}name`). The one signature must be a
    direct child of it and cover the whole document, SignedProperties and optionally KeyInfo — the rules of
    `verify_auth_token_request`. Whether the signer is trusted is the caller's decision (compare `certificate`).
    Raises `XadesError`; its `details` say what is wrong (the KSeF codes of the login endpoint do not apply here).
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    tree = parse_document(xml, max_bytes=max_bytes)
    root = tree.getroot()
    if root.tag != root_tag:
        raise _fail(
            XadesRejection.SCHEMA_INVALID,
            f"Elementem głównym musi być {shown(local_name(root_tag))}, a jest '{shown(local_name(str(root.tag)))}'.",
        )
    signatures = list(root.iter(_SIGNATURE))
    if not signatures:
        raise _fail(XadesRejection.NO_SIGNATURE, "Dokument nie zawiera podpisu XAdES (ds:Signature).")
    if len(signatures) > 1:
        raise _fail(
            XadesRejection.TOO_MANY_SIGNATURES, f"Dokument zawiera {len(signatures)} podpisy; dozwolony jest jeden."
        )
    signature = signatures[0]
    if signature.getparent() is not root:
        raise _fail(
            XadesRejection.SIGNATURE_MISPLACED,
            f"Podpis musi być bezpośrednim elementem podrzędnym {shown(local_name(root_tag))} (podpis otaczany).",
        )
    certificate, properties, signed_info = _verify_signature(tree, root, signature, None)
    signing_time = parse_signing_time(properties.signing_time)
    if signing_time > now + MAX_CLOCK_SKEW:
        raise _fail(
            XadesRejection.SIGNING_TIME_IN_FUTURE,
            f"SigningTime {signing_time:%Y-%m-%d %H:%M:%S} UTC jest późniejszy niż bieżący czas.",
        )
    if now < certificate.not_valid_before_utc:
        raise _fail(
            XadesRejection.CERTIFICATE_NOT_YET_VALID,
            f"Certyfikat jest ważny od {certificate.not_valid_before_utc:%Y-%m-%d %H:%M:%S} UTC.",
        )
    if now > certificate.not_valid_after_utc:
        raise _fail(
            XadesRejection.CERTIFICATE_EXPIRED,
            f"Certyfikat był ważny do {certificate.not_valid_after_utc:%Y-%m-%d %H:%M:%S} UTC.",
        )
    return VerifiedDocument(root, certificate, signing_time, signed_info.method)
