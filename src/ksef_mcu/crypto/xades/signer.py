"""Sign an AuthTokenRequest with an enveloped XAdES-BES signature structured like the official C# client's.

The signature (unprefixed XML-DSig namespace, appended as the last child of AuthTokenRequest):

    Signature Id="Signature"
      SignedInfo            inclusive C14N 1.0 (canonicalized in the document's namespace context)
        SignatureMethod     rsa-sha256 (RSASSA-PKCS1-v1_5) | ecdsa-sha256/384/512 by curve (value = raw r||s)
        Reference URI=""                 enveloped-signature + exclusive C14N, SHA-256
        Reference URI="#SignedProperties" Type=...#SignedProperties, exclusive C14N, SHA-256
      SignatureValue
      KeyInfo/X509Data/X509Certificate  the signing certificate (DER, base64)
      Object/xades:QualifyingProperties Target="#Signature"
        xades:SignedProperties Id="SignedProperties"
          SigningTime (now - 1 minute, like the C# client), SigningCertificate/Cert/(CertDigest SHA-256, IssuerSerial)

One implementation serves both ways of signing: `SignatureTemplate` (built from the certificate alone) prepares the
canonical SignedInfo bytes for a request and later assembles the signature around a SignatureValue. `XadesSigner`
holds the private key and does both at once; `two_step` lets someone else (the browser) make the SignatureValue.

Speed: everything that depends only on the certificate (certificate base64 and digest, issuer/serial, the canonical
and serialized forms of SignedProperties around the signing time) is computed once per `SignatureTemplate`.
A signature then costs one parse and one exclusive canonicalization of the request, two SHA-256 digests, string
assembly and the private-key operation; the signature is spliced into the request bytes as they came.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from xml.sax.saxutils import escape

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from lxml import etree

from ksef_mcu.crypto.compat import tolerate_ksef_quirks
from ksef_mcu.crypto.errors import CertificateError, XadesError, XadesRejection
from ksef_mcu.crypto.xades._xml import MAX_DOCUMENT_BYTES, canonicalize, local_name, parse_document, shown
from ksef_mcu.crypto.xades.algorithms import (
    DSIG_NS,
    SIGNED_PROPERTIES_TYPE,
    XADES_NS,
    Canonicalization,
    DigestMethod,
    SignatureMethod,
    Transform,
)
from ksef_mcu.crypto.xades.request import read_auth_token_request

__all__ = [
    "MIN_EC_CURVE_BITS",
    "MIN_RSA_KEY_BITS",
    "SIGNATURE_ID",
    "SIGNED_PROPERTIES_ID",
    "SIGNING_TIME_BACKDATE",
    "XadesSigner",
    "format_signing_time",
    "sign_auth_token_request",
]

MIN_RSA_KEY_BITS = 2048
MIN_EC_CURVE_BITS = 256

SIGNATURE_ID = "Signature"
SIGNED_PROPERTIES_ID = "SignedProperties"

_EC_METHODS = {256: SignatureMethod.ECDSA_SHA256, 384: SignatureMethod.ECDSA_SHA384, 521: SignatureMethod.ECDSA_SHA512}


_NEEDS_ESCAPING = frozenset('&<"\t\n\r')


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


#: SigningTime is written this far before `now`, as the official C# client does, so that a signer whose clock runs a
#: little ahead of the server's is not refused for signing "in the future".
SIGNING_TIME_BACKDATE = timedelta(minutes=1)


def format_signing_time(now: datetime) -> str:
    """SigningTime for a signature made at `now`: `now - SIGNING_TIME_BACKDATE` as an XML Schema dateTime in UTC,
    whole seconds, `Z` (e.g. `2026-04-22T10:56:27Z`). Raises `ValueError` for a naive `now`."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    return (now - SIGNING_TIME_BACKDATE).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def signature_method_for(public_key: object) -> SignatureMethod:
    """The SignatureMethod written for `public_key`: rsa-sha256 for RSA (2048 bits or more), ecdsa-sha256/384/512 for
    EC P-256/P-384/P-521. Raises `CertificateError` for any other key."""
    if isinstance(public_key, rsa.RSAPublicKey):
        if public_key.key_size < MIN_RSA_KEY_BITS:
            raise CertificateError(
                f"Klucz RSA ma {public_key.key_size} bitów; do podpisu XAdES wymagane jest co najmniej "
                f"{MIN_RSA_KEY_BITS}."
            )
        return SignatureMethod.RSA_SHA256
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        method = _EC_METHODS.get(public_key.curve.key_size)
        if method is None or public_key.curve.name not in ("secp256r1", "secp384r1", "secp521r1"):
            raise CertificateError(
                f"Krzywa {public_key.curve.name} nie jest obsługiwana; użyj klucza EC P-256 (lub P-384, P-521)."
            )
        return method
    raise CertificateError("Do podpisu XAdES potrzebny jest klucz RSA lub EC.")


@dataclass(frozen=True, slots=True)
class PreparedSignature:
    """A signature ready for its SignatureValue: `signed_info` is exactly the byte string to sign.

    Made by `SignatureTemplate.prepare`; deterministic in (request, certificate, `now`), so a server may keep it or
    prepare it again from the same three when the SignatureValue arrives.
    """

    document: bytes
    """The unsigned AuthTokenRequest, as given."""
    signing_time: str
    """SigningTime as written (`now` minus a minute, UTC, whole seconds)."""
    signature_method: SignatureMethod
    signed_info: bytes
    """SignedInfo in inclusive canonical form (C14N 1.0, in the document's namespace context): what is signed."""
    template: SignatureTemplate
    """What the certificate contributes (KeyInfo, SignedProperties); assembles the signature."""
    signed_info_body: str
    """SignedInfo's children as serialized inside the Signature element (digests included)."""
    root_name: str
    """The qualified name of the document's root element as written (prefix included), where the signature goes."""


class SignatureTemplate:
    """Everything in the signature that depends only on the signing certificate; prepares and assembles signatures.

    Raises `CertificateError` when the certificate's key cannot make a signature KSeF accepts (see
    `signature_method_for`) or its issuer name cannot be written. Immutable and safe to share between threads.
    """

    __slots__ = (
        "_object_prefix",
        "_object_suffix",
        "_properties_c14n_prefix",
        "_properties_c14n_suffix",
        "_signed_info_body",
        "_tail",
        "certificate",
        "curve_bytes",
        "signature_method",
    )

    def __init__(self, certificate: x509.Certificate) -> None:
        self.certificate = certificate
        try:
            public_key = certificate.public_key()
        except (ValueError, UnsupportedAlgorithm):
            raise CertificateError("Nie można odczytać klucza publicznego certyfikatu.") from None
        self.signature_method = signature_method_for(public_key)
        # Bytes of r and of s in an ECDSA SignatureValue (0 for RSA).
        self.curve_bytes = (
            (public_key.curve.key_size + 7) // 8 if isinstance(public_key, ec.EllipticCurvePublicKey) else 0
        )

        der = certificate.public_bytes(Encoding.DER)
        sha256 = DigestMethod.SHA256.value
        try:
            with tolerate_ksef_quirks():  # e.g. an issuer commonName longer than 64 bytes
                issuer_name = certificate.issuer.rfc4514_string()
        except ValueError:
            raise CertificateError("Nie można odczytać nazwy wystawcy certyfikatu.") from None
        signing_certificate = (
            "<xades:SigningCertificate><xades:Cert><xades:CertDigest>"
            f'<DigestMethod Algorithm="{sha256}"></DigestMethod>'
            f"<DigestValue>{_b64(hashlib.sha256(der).digest())}</DigestValue>"
            "</xades:CertDigest><xades:IssuerSerial>"
            f"<X509IssuerName>{escape(issuer_name)}</X509IssuerName>"
            f"<X509SerialNumber>{certificate.serial_number}</X509SerialNumber>"
            "</xades:IssuerSerial></xades:Cert></xades:SigningCertificate>"
        )
        marker = "@SigningTime@"
        while marker in signing_certificate:
            marker += "@"
        object_xml = (
            f'<Object><xades:QualifyingProperties xmlns="{DSIG_NS}" xmlns:xades="{XADES_NS}" '
            f'Target="#{SIGNATURE_ID}"><xades:SignedProperties Id="{SIGNED_PROPERTIES_ID}">'
            f"<xades:SignedSignatureProperties><xades:SigningTime>{marker}</xades:SigningTime>"
            f"{signing_certificate}</xades:SignedSignatureProperties></xades:SignedProperties>"
            "</xades:QualifyingProperties></Object>"
        )
        self._object_prefix, self._object_suffix = object_xml.split(marker)
        # The digest covers the exclusive canonical form of SignedProperties; let lxml produce it once.
        try:
            template = etree.fromstring(f'<Signature xmlns="{DSIG_NS}">{object_xml}</Signature>')
        except etree.XMLSyntaxError:
            raise CertificateError("Nazwa wystawcy certyfikatu zawiera znaki niedozwolone w XML.") from None
        signed_properties = template.find(f"{{{DSIG_NS}}}Object/{{{XADES_NS}}}QualifyingProperties/*")
        assert signed_properties is not None  # noqa: S101 - the template above always has it
        canonical = canonicalize(signed_properties, exclusive=True)
        self._properties_c14n_prefix, self._properties_c14n_suffix = canonical.split(marker.encode("ascii"))

        exclusive = Canonicalization.EXCLUSIVE.value
        self._signed_info_body = (
            f'<CanonicalizationMethod Algorithm="{Canonicalization.C14N_1_0.value}"></CanonicalizationMethod>'
            f'<SignatureMethod Algorithm="{self.signature_method.value}"></SignatureMethod>'
            f'<Reference URI=""><Transforms><Transform Algorithm="{Transform.ENVELOPED_SIGNATURE.value}"></Transform>'
            f'<Transform Algorithm="{exclusive}"></Transform></Transforms>'
            f'<DigestMethod Algorithm="{sha256}"></DigestMethod><DigestValue>{{}}</DigestValue></Reference>'
            f'<Reference Type="{SIGNED_PROPERTIES_TYPE}" URI="#{SIGNED_PROPERTIES_ID}"><Transforms>'
            f'<Transform Algorithm="{exclusive}"></Transform></Transforms>'
            f'<DigestMethod Algorithm="{sha256}"></DigestMethod><DigestValue>{{}}</DigestValue></Reference>'
            "</SignedInfo>"
        )
        self._tail = f"<KeyInfo><X509Data><X509Certificate>{_b64(der)}</X509Certificate></X509Data></KeyInfo>"

    def prepare(self, xml: bytes, *, now: datetime) -> PreparedSignature:
        """Digest `xml` (an unsigned AuthTokenRequest, UTF-8) and SignedProperties for a signature made at `now`.

        `now` (timezone-aware) is the signing moment; SigningTime is written a minute earlier. Raises `XadesError`
        when `xml` is not a schema-valid AuthTokenRequest (a document that is already signed is not) or cannot be
        read.
        """
        signing_time = format_signing_time(now)
        tree = parse_document(xml)
        read_auth_token_request(tree.getroot())
        return self._prepare_tree(xml, tree, signing_time)

    def prepare_enveloped(self, xml: bytes, *, now: datetime, max_bytes: int = MAX_DOCUMENT_BYTES) -> PreparedSignature:
        """Like `prepare`, for any unsigned XML document (e.g. a UPO): the same enveloped signature on its root.

        The caller is responsible for the content; `max_bytes` bounds the document. Raises `XadesError` when `xml`
        cannot be read or already carries a signature.
        """
        signing_time = format_signing_time(now)
        tree = parse_document(xml, max_bytes=max_bytes)
        if next(tree.getroot().iter(f"{{{DSIG_NS}}}Signature"), None) is not None:
            raise XadesError(XadesRejection.TOO_MANY_SIGNATURES, "Dokument jest już podpisany.")
        return self._prepare_tree(xml, tree, signing_time)

    def _prepare_tree(self, xml: bytes, tree: etree._ElementTree, signing_time: str) -> PreparedSignature:
        root = tree.getroot()
        document_digest = hashlib.sha256(canonicalize(tree, exclusive=True)).digest()
        properties_digest = hashlib.sha256(
            self._properties_c14n_prefix + signing_time.encode("ascii") + self._properties_c14n_suffix
        ).digest()
        body = self._signed_info_body.format(_b64(document_digest), _b64(properties_digest))

        # SignedInfo is canonicalized (inclusive C14N) inside the document, so it carries every namespace in scope:
        # the signature's default namespace and whatever prefixes the request root declares.
        declarations = [f'xmlns="{DSIG_NS}"']
        for prefix, uri in sorted(root.nsmap.items(), key=_prefix_key):
            if prefix is None:
                continue
            if _NEEDS_ESCAPING.intersection(uri):
                # Canonical XML implementations disagree on escaping namespace URIs (libxml2 does not escape them).
                raise XadesError(
                    XadesRejection.MALFORMED_XML,
                    f"Przestrzeń nazw '{shown(uri)}' zawiera znaki, których nie da się jednoznacznie kanonikalizować.",
                )
            declarations.append(f'xmlns:{prefix}="{uri}"')
        return PreparedSignature(
            document=xml,
            signing_time=signing_time,
            signature_method=self.signature_method,
            signed_info=f"<SignedInfo {' '.join(declarations)}>{body}".encode(),
            template=self,
            signed_info_body=body,
            root_name=f"{root.prefix}:{local_name(str(root.tag))}" if root.prefix else local_name(str(root.tag)),
        )

    def assemble(self, prepared: PreparedSignature, signature_value: bytes) -> bytes:
        """The request of `prepared` with the signature carrying `signature_value` appended to its root.

        `signature_value` is not checked here (`two_step.complete_signature` checks it); for ECDSA it is r||s.
        """
        signature = (
            f'<Signature Id="{SIGNATURE_ID}" xmlns="{DSIG_NS}"><SignedInfo>{prepared.signed_info_body}'
            f"<SignatureValue>{_b64(signature_value)}</SignatureValue>{self._tail}"
            f"{self._object_prefix}{prepared.signing_time}{self._object_suffix}</Signature>"
        ).encode()
        return _append_to_root(prepared.document, prepared.root_name, signature)


class XadesSigner:
    """Signs AuthTokenRequest documents with one key and its certificate (both loaded once by the caller).

    `key` is an RSA (at least 2048 bits) or EC (P-256, P-384 or P-521) private key; `certificate` must carry its
    public key. Raises `CertificateError` otherwise. Instances are immutable and safe to share between threads.
    """

    __slots__ = ("_key", "_template")

    def __init__(self, key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, certificate: x509.Certificate) -> None:
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise CertificateError("Do podpisu XAdES potrzebny jest klucz RSA lub EC.")
        signature_method_for(key.public_key())
        spki = Encoding.DER, PublicFormat.SubjectPublicKeyInfo
        if key.public_key().public_bytes(*spki) != certificate.public_key().public_bytes(*spki):
            raise CertificateError("Klucz prywatny nie pasuje do certyfikatu.")
        self._key = key
        self._template = SignatureTemplate(certificate)

    @property
    def certificate(self) -> x509.Certificate:
        """The signing certificate."""
        return self._template.certificate

    @property
    def signature_method(self) -> SignatureMethod:
        """The SignatureMethod this signer writes."""
        return self._template.signature_method

    def _sign(self, data: bytes) -> bytes:
        key = self._key
        if isinstance(key, rsa.RSAPrivateKey):
            return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        size = self._template.curve_bytes
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(self._template.signature_method.hash_algorithm())))
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")

    def sign(self, xml: bytes, *, now: datetime) -> bytes:
        """Return `xml` (an unsigned AuthTokenRequest, UTF-8) with the signature appended to its root.

        `now` (timezone-aware) is the signing moment; SigningTime is written a minute earlier. Raises `XadesError`
        when `xml` is not a schema-valid AuthTokenRequest (a document that is already signed is not) or cannot be
        read.
        """
        prepared = self._template.prepare(xml, now=now)
        return self._template.assemble(prepared, self._sign(prepared.signed_info))

    def sign_enveloped(self, xml: bytes, *, now: datetime, max_bytes: int = MAX_DOCUMENT_BYTES) -> bytes:
        """Return any unsigned XML document (e.g. a UPO) with the same enveloped signature appended to its root.

        The caller is responsible for the content; `max_bytes` bounds the document. Raises `XadesError` when `xml`
        cannot be read or already carries a signature.
        """
        prepared = self._template.prepare_enveloped(xml, now=now, max_bytes=max_bytes)
        return self._template.assemble(prepared, self._sign(prepared.signed_info))


def _prefix_key(item: tuple[str | None, str]) -> str:
    return item[0] or ""


def _append_to_root(xml: bytes, qualified_name: str, signature: bytes) -> bytes:
    end_tag = re.search(rb"</" + re.escape(qualified_name.encode()) + rb"[ \t\r\n]*>[ \t\r\n]*\Z", xml)
    if end_tag is not None:
        # A well-formed document that ends with this end tag ends with the root's end tag (it cannot sit inside a
        # comment or processing instruction at the very end), so the request bytes are kept exactly as they came.
        return xml[: end_tag.start()] + signature + xml[end_tag.start() :]
    # Comments or processing instructions after the root: insert through the tree and serialize it again.
    tree = parse_document(xml)
    tree.getroot().append(etree.fromstring(signature))
    return etree.tostring(tree, encoding="utf-8", xml_declaration=xml.lstrip(b"\xef\xbb\xbf").startswith(b"<?xml"))


def sign_auth_token_request(
    xml: bytes,
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey,
    certificate: x509.Certificate,
    *,
    now: datetime,
) -> bytes:
    """One-off `XadesSigner(key, certificate).sign(xml, now=now)`; prefer a reused `XadesSigner` for many requests."""
    return XadesSigner(key, certificate).sign(xml, now=now)
