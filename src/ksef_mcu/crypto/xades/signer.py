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

Speed: everything that depends only on the key and certificate (certificate base64 and digest, issuer/serial, the
canonical and serialized forms of SignedProperties around the signing time) is computed once in `XadesSigner`.
A signature then costs one parse and one exclusive canonicalization of the request, two SHA-256 digests, string
assembly and the private-key operation; the signature is spliced into the request bytes as they came.
"""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import UTC, datetime, timedelta
from xml.sax.saxutils import escape

from cryptography import x509
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


class XadesSigner:
    """Signs AuthTokenRequest documents with one key and its certificate (both loaded once by the caller).

    `key` is an RSA (at least 2048 bits) or EC (P-256, P-384 or P-521) private key; `certificate` must carry its
    public key. Raises `CertificateError` otherwise. Instances are immutable and safe to share between threads.
    """

    __slots__ = (
        "_curve_bytes",
        "_key",
        "_object_prefix",
        "_object_suffix",
        "_properties_c14n_prefix",
        "_properties_c14n_suffix",
        "_signature_method",
        "_signed_info_body",
        "_tail",
        "certificate",
    )

    def __init__(self, key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, certificate: x509.Certificate) -> None:
        self._key = key
        self.certificate = certificate
        self._curve_bytes = 0
        if isinstance(key, rsa.RSAPrivateKey):
            if key.key_size < MIN_RSA_KEY_BITS:
                raise CertificateError(
                    f"Klucz RSA ma {key.key_size} bitów; do podpisu XAdES wymagane jest co najmniej {MIN_RSA_KEY_BITS}."
                )
            self._signature_method = SignatureMethod.RSA_SHA256
        elif isinstance(key, ec.EllipticCurvePrivateKey):
            method = _EC_METHODS.get(key.curve.key_size)
            if method is None or key.curve.name not in ("secp256r1", "secp384r1", "secp521r1"):
                raise CertificateError(
                    f"Krzywa {key.curve.name} nie jest obsługiwana; użyj klucza EC P-256 (lub P-384, P-521)."
                )
            self._signature_method = method
            self._curve_bytes = (key.curve.key_size + 7) // 8
        else:
            raise CertificateError("Do podpisu XAdES potrzebny jest klucz RSA lub EC.")
        spki = Encoding.DER, PublicFormat.SubjectPublicKeyInfo
        if key.public_key().public_bytes(*spki) != certificate.public_key().public_bytes(*spki):
            raise CertificateError("Klucz prywatny nie pasuje do certyfikatu.")

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
            f'<SignatureMethod Algorithm="{self._signature_method.value}"></SignatureMethod>'
            f'<Reference URI=""><Transforms><Transform Algorithm="{Transform.ENVELOPED_SIGNATURE.value}"></Transform>'
            f'<Transform Algorithm="{exclusive}"></Transform></Transforms>'
            f'<DigestMethod Algorithm="{sha256}"></DigestMethod><DigestValue>{{}}</DigestValue></Reference>'
            f'<Reference Type="{SIGNED_PROPERTIES_TYPE}" URI="#{SIGNED_PROPERTIES_ID}"><Transforms>'
            f'<Transform Algorithm="{exclusive}"></Transform></Transforms>'
            f'<DigestMethod Algorithm="{sha256}"></DigestMethod><DigestValue>{{}}</DigestValue></Reference>'
            "</SignedInfo>"
        )
        self._tail = f"<KeyInfo><X509Data><X509Certificate>{_b64(der)}</X509Certificate></X509Data></KeyInfo>"

    @property
    def signature_method(self) -> SignatureMethod:
        """The SignatureMethod this signer writes."""
        return self._signature_method

    def _sign(self, data: bytes) -> bytes:
        key = self._key
        if isinstance(key, rsa.RSAPrivateKey):
            return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(self._signature_method.hash_algorithm())))
        return r.to_bytes(self._curve_bytes, "big") + s.to_bytes(self._curve_bytes, "big")

    def sign(self, xml: bytes, *, now: datetime) -> bytes:
        """Return `xml` (an unsigned AuthTokenRequest, UTF-8) with the signature appended to its root.

        `now` (timezone-aware) is the signing moment; SigningTime is written a minute earlier. Raises `XadesError`
        when `xml` is not a schema-valid AuthTokenRequest (a document that is already signed is not) or cannot be
        read.
        """
        signing_time = format_signing_time(now)
        tree = parse_document(xml)
        read_auth_token_request(tree.getroot())
        return self._sign_tree(xml, tree, signing_time)

    def sign_enveloped(self, xml: bytes, *, now: datetime, max_bytes: int = MAX_DOCUMENT_BYTES) -> bytes:
        """Return any unsigned XML document (e.g. a UPO) with the same enveloped signature appended to its root.

        The caller is responsible for the content; `max_bytes` bounds the document. Raises `XadesError` when `xml`
        cannot be read or already carries a signature.
        """
        signing_time = format_signing_time(now)
        tree = parse_document(xml, max_bytes=max_bytes)
        if next(tree.getroot().iter(f"{{{DSIG_NS}}}Signature"), None) is not None:
            raise XadesError(XadesRejection.TOO_MANY_SIGNATURES, "Dokument jest już podpisany.")
        return self._sign_tree(xml, tree, signing_time)

    def _sign_tree(self, xml: bytes, tree: etree._ElementTree, signing_time: str) -> bytes:
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
        canonical_signed_info = f"<SignedInfo {' '.join(declarations)}>{body}".encode()
        signature_value = _b64(self._sign(canonical_signed_info))

        signature = (
            f'<Signature Id="{SIGNATURE_ID}" xmlns="{DSIG_NS}"><SignedInfo>{body}'
            f"<SignatureValue>{signature_value}</SignatureValue>{self._tail}"
            f"{self._object_prefix}{signing_time}{self._object_suffix}</Signature>"
        ).encode()
        return _append_to_root(xml, tree, signature)


def _prefix_key(item: tuple[str | None, str]) -> str:
    return item[0] or ""


def _append_to_root(xml: bytes, tree: etree._ElementTree, signature: bytes) -> bytes:
    root = tree.getroot()
    name = local_name(str(root.tag))
    qualified_name = f"{root.prefix}:{name}" if root.prefix else name
    end_tag = re.search(rb"</" + re.escape(qualified_name.encode()) + rb"[ \t\r\n]*>[ \t\r\n]*\Z", xml)
    if end_tag is not None:
        # A well-formed document that ends with this end tag ends with the root's end tag (it cannot sit inside a
        # comment or processing instruction at the very end), so the request bytes are kept exactly as they came.
        return xml[: end_tag.start()] + signature + xml[end_tag.start() :]
    # Comments or processing instructions after the root: insert through the tree and serialize it again.
    root.append(etree.fromstring(signature))
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
