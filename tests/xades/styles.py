"""Signature generators for every XAdES style KSeF clients produce, written by us from the descriptions in
`research/official-clients.md` §1 (C#, Java/DSS) and `research/peers-python.md` §4 (ksef-client, ksef2, pyksef).

They are independent of `ksef_mcu.crypto.xades.signer` (lxml trees, not string templates) and are checked against
`xmlsec1 --verify` in `test_styles.py`, so they also serve as the attack corpus's raw material: `sign_in_style`
can build a validly signed document with any single property missing or changed.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import datetime as dt
import hashlib
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509.oid import NameOID
from lxml import etree

from ksef_mcu.crypto.xades.algorithms import (
    DSIG11_NS,
    DSIG_NS,
    SIGNED_PROPERTIES_TYPE,
    XADES_NS,
    XPATH_FILTER2_NS,
    Canonicalization,
    DigestMethod,
    KeyFamily,
    SignatureMethod,
    Transform,
)

from .pki import CHALLENGE, NIP, PrivateKey

C14N = Canonicalization.C14N_1_0.value
C14N_11 = Canonicalization.C14N_1_1.value
EXC = Canonicalization.EXCLUSIVE.value
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSD = "http://www.w3.org/2001/XMLSchema"
NAMESPACES = {"2.0": "http://ksef.mf.gov.pl/auth/token/2.0", "2.1": "http://ksef.mf.gov.pl/auth/token/2.1"}


def unsigned_request(
    *,
    namespace: str = "2.0",
    layout: str = "compact",
    challenge: str = CHALLENGE,
    context: tuple[str, str] = ("Nip", NIP),
    subject_type: str = "certificateSubject",
    allowed_ips: tuple[list[str], list[str], list[str]] | None = None,
) -> bytes:
    """An unsigned AuthTokenRequest laid out like a given client writes it.

    layouts: `compact` (no white space), `csharp` (XmlSerializer: utf-8 declaration, xsi/xsd declarations, 2-space
    indent), `java` (JAXB: UTF-8 standalone declaration, 4-space indent), `pyksef` (no declaration, xsi/xsd, indent).
    """
    uri = NAMESPACES[namespace]
    lines = [
        f"<Challenge>{challenge}</Challenge>",
        f"<ContextIdentifier><{context[0]}>{context[1]}</{context[0]}></ContextIdentifier>",
        f"<SubjectIdentifierType>{subject_type}</SubjectIdentifierType>",
    ]
    if allowed_ips is not None:
        entries = "".join(
            f"<{kind}>{value}</{kind}>"
            for kind, values in zip(("Ip4Address", "Ip4Range", "Ip4Mask"), allowed_ips, strict=True)
            for value in values
        )
        lines.append(f"<AuthorizationPolicy><AllowedIps>{entries}</AllowedIps></AuthorizationPolicy>")
    if layout == "compact":
        return f'<AuthTokenRequest xmlns="{uri}">{"".join(lines)}</AuthTokenRequest>'.encode()
    declaration, namespaces, indent = {
        "csharp": ('<?xml version="1.0" encoding="utf-8"?>\n', f' xmlns:xsi="{XSI}" xmlns:xsd="{XSD}"', "  "),
        "java": ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n', "", "    "),
        "pyksef": ("", f' xmlns:xsd="{XSD}" xmlns:xsi="{XSI}"', "  "),
    }[layout]
    body = "".join(f"\n{indent}{line}" for line in lines)
    return f'{declaration}<AuthTokenRequest{namespaces} xmlns="{uri}">{body}\n</AuthTokenRequest>\n'.encode()


@dataclass(frozen=True)
class Style:
    """Every knob of the signatures KSeF clients make (defaults: the C# client)."""

    name: str = "csharp"
    prefix: str | None = None
    signature_id: str | None = "Signature"
    signed_properties_id: str = "SignedProperties"
    key_info_id: str | None = None
    signature_value_id: str | None = None
    reference_id: str | None = None
    signed_info_c14n: str = C14N
    document_removal: str = "enveloped"  # enveloped | filter2 | xpath | none
    document_c14n: str | None = EXC
    properties_c14n: str | None = EXC
    key_info_reference: bool = False
    key_info_c14n: str | None = None
    signing_certificate: str = "v1"  # v1 | v2 | both | none
    issuer_format: str = "dotnet"  # dotnet | java | rfc4514
    data_object_format: str | None = None  # None | "java" | "signxml"
    key_value: bool = False
    time_format: str = "csharp"  # csharp | java | python | naive | none
    signature_method: SignatureMethod | None = None
    digest_method: DigestMethod = DigestMethod.SHA256
    cert_digest_method: DigestMethod = DigestMethod.SHA256
    ecdsa_half_bytes: int | None = None
    ecdsa_der: bool = False
    qualifying_declares_default: bool = True
    packaging: str = "enveloped"  # enveloped | enveloping
    extra_key_info_certificates: tuple[x509.Certificate, ...] = field(default=())

    def but(self, **changes: object) -> Style:
        """A copy with some knobs changed."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


CSHARP = Style()
JAVA_DSS = Style(
    name="java-dss",
    prefix="ds",
    signature_id="id-0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    signed_properties_id="xades-id-0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    signature_value_id="value-id-0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    reference_id="r-id-0f1e2d3c4b5a69788796a5b4c3d2e1f0-1",
    signed_info_c14n=EXC,
    document_removal="filter2",
    issuer_format="java",
    data_object_format="java",
    time_format="java",
    qualifying_declares_default=False,
)
KSEF_CLIENT = Style(
    name="ksef-client",
    prefix="ds",
    signed_info_c14n=EXC,
    issuer_format="rfc4514",
    time_format="python",
    qualifying_declares_default=False,
)
SIGNXML = Style(
    name="signxml",
    prefix="ds",
    signature_id="SignXMLSignature1B469D6F",
    signed_properties_id="SignXMLSignature1B469D6F-SignedPropertiesACB79695",
    key_info_id="SignXMLCertificateADBDA6BB",
    reference_id="SignXMLReference6170F355",
    signed_info_c14n=C14N_11,
    document_c14n=C14N_11,
    properties_c14n=None,
    key_info_reference=True,
    signing_certificate="v2",
    issuer_format="rfc4514",
    data_object_format="signxml",
    key_value=True,
    time_format="python",
    qualifying_declares_default=False,
)
ENVELOPING = Style(name="enveloping", prefix="ds", signed_info_c14n=EXC, packaging="enveloping", document_c14n=EXC)

#: (style, unsigned layout) pairs as the real clients send them.
CLIENT_STYLES = {
    "csharp": (CSHARP, "csharp"),
    "java-dss": (JAVA_DSS, "java"),
    "ksef-client": (KSEF_CLIENT, "compact"),
    "ksef2": (SIGNXML, "compact"),
    "pyksef": (SIGNXML, "pyksef"),
    "enveloping": (ENVELOPING, "compact"),
}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _issuer_name(certificate: x509.Certificate, issuer_format: str) -> str:
    if issuer_format == "rfc4514":
        return certificate.issuer.rfc4514_string()
    attributes = list(reversed(list(certificate.issuer)))
    if issuer_format == "dotnet":
        names = {
            NameOID.COMMON_NAME: "CN",
            NameOID.ORGANIZATION_NAME: "O",
            NameOID.COUNTRY_NAME: "C",
            NameOID.SURNAME: "SN",
            NameOID.GIVEN_NAME: "G",
            NameOID.SERIAL_NUMBER: "SERIALNUMBER",
        }
        return ", ".join(f"{names.get(a.oid, 'OID.' + a.oid.dotted_string)}={a.value}" for a in attributes)
    names = {NameOID.COMMON_NAME: "CN", NameOID.ORGANIZATION_NAME: "O", NameOID.COUNTRY_NAME: "C"}
    parts = []
    for attribute in attributes:
        if attribute.oid in names:
            parts.append(f"{names[attribute.oid]}={attribute.value}")
        else:
            value = str(attribute.value).encode()
            parts.append(f"{attribute.oid.dotted_string}=#0c{len(value):02x}{value.hex()}")
    return ",".join(parts)


def _signing_time(now: dt.datetime, time_format: str) -> str:
    if time_format == "csharp":
        moment = now - dt.timedelta(minutes=1)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}3+00:00"
    if time_format == "java":
        return now.strftime("%Y-%m-%dT%H:%M:%SZ")
    if time_format == "python":
        return now.isoformat()
    if time_format == "naive":
        return now.strftime("%Y-%m-%dT%H:%M:%S")
    return time_format


def canonical(node: etree._Element | etree._ElementTree, algorithm: str | None) -> bytes:
    """C14N of a document, or of an element in its document context (serialized with all namespaces in scope and
    parsed back, which is how Canonical XML treats a subset's apex). No algorithm = inclusive C14N 1.0."""
    algorithm = algorithm or C14N
    if isinstance(node, etree._Element):
        node = etree.fromstring(etree.tostring(node, with_tail=False))
    exclusive = algorithm.startswith(EXC)
    return etree.tostring(node, method="c14n", exclusive=exclusive, with_comments=False)


def sign_value(key: PrivateKey, data: bytes, method: SignatureMethod, style: Style) -> bytes:
    """A SignatureValue for `data` with `method` (ECDSA as raw r||s, halves padded to `style.ecdsa_half_bytes`)."""
    algorithm = method.hash_algorithm()
    if isinstance(key, rsa.RSAPrivateKey):
        if method.family is KeyFamily.RSA_PSS:
            return key.sign(data, padding.PSS(padding.MGF1(algorithm), algorithm.digest_size), algorithm)
        return key.sign(data, padding.PKCS1v15(), algorithm)
    der = key.sign(data, ec.ECDSA(algorithm))
    if style.ecdsa_der:
        return der
    r, s = decode_dss_signature(der)
    size = style.ecdsa_half_bytes or (key.curve.key_size + 7) // 8
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def default_method(key: PrivateKey) -> SignatureMethod:
    return SignatureMethod.RSA_SHA256 if isinstance(key, rsa.RSAPrivateKey) else SignatureMethod.ECDSA_SHA256


def _digest(method: DigestMethod, data: bytes) -> str:
    return _b64(hashlib.new(method.hashlib_name, data).digest())


def _key_value(parent: etree._Element, tag: object, certificate: x509.Certificate) -> None:
    key = certificate.public_key()
    key_value = etree.SubElement(parent, tag("KeyValue"))  # type: ignore[operator]
    if isinstance(key, rsa.RSAPublicKey):
        numbers = key.public_numbers()
        rsa_value = etree.SubElement(key_value, tag("RSAKeyValue"))  # type: ignore[operator]
        for name, number in (("Modulus", numbers.n), ("Exponent", numbers.e)):
            etree.SubElement(rsa_value, tag(name)).text = _b64(  # type: ignore[operator]
                number.to_bytes((number.bit_length() + 7) // 8, "big")
            )
        return
    assert isinstance(key, ec.EllipticCurvePublicKey)
    oids = {"secp256r1": "1.2.840.10045.3.1.7", "secp384r1": "1.3.132.0.34", "secp521r1": "1.3.132.0.35"}
    ec_value = etree.SubElement(key_value, f"{{{DSIG11_NS}}}ECKeyValue", nsmap={"dsig11": DSIG11_NS})
    etree.SubElement(ec_value, f"{{{DSIG11_NS}}}NamedCurve", URI=f"urn:oid:{oids[key.curve.name]}")
    etree.SubElement(ec_value, f"{{{DSIG11_NS}}}PublicKey").text = _b64(
        key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    )


def sign_in_style(
    unsigned: bytes,
    key: PrivateKey,
    certificate: x509.Certificate,
    style: Style,
    now: dt.datetime,
    *,
    key_value_certificate: x509.Certificate | None = None,
    signing_certificate: x509.Certificate | None = None,
) -> bytes:
    """Sign `unsigned` in `style`. `key_value_certificate` / `signing_certificate` let tests put a different key in
    KeyValue or a different certificate in SigningCertificate (attack cases)."""
    root = etree.fromstring(unsigned)
    tree = root.getroottree()
    has_declaration = unsigned.lstrip().startswith(b"<?xml")

    def ds(name: str) -> str:
        return f"{{{DSIG_NS}}}{name}"

    def xades(name: str) -> str:
        return f"{{{XADES_NS}}}{name}"

    method = style.signature_method or default_method(key)
    signature = etree.Element(ds("Signature"), nsmap={style.prefix: DSIG_NS})
    if style.signature_id:
        signature.set("Id", style.signature_id)
    signed_info = etree.SubElement(signature, ds("SignedInfo"))
    etree.SubElement(signed_info, ds("CanonicalizationMethod"), Algorithm=style.signed_info_c14n)
    etree.SubElement(signed_info, ds("SignatureMethod"), Algorithm=method.value)

    document_reference = etree.SubElement(signed_info, ds("Reference"))
    if style.reference_id:
        document_reference.set("Id", style.reference_id)
    object_id = "Object-request"
    document_reference.set("URI", "" if style.packaging == "enveloped" else f"#{object_id}")
    transforms: list[tuple[str, etree._Element | None]] = []
    if style.packaging == "enveloped":
        if style.document_removal == "enveloped":
            transforms.append((Transform.ENVELOPED_SIGNATURE.value, None))
        elif style.document_removal == "filter2":
            xpath = etree.Element(
                f"{{{XPATH_FILTER2_NS}}}XPath",
                nsmap={"dsig-filter2": XPATH_FILTER2_NS, "ds": DSIG_NS},
                Filter="subtract",
            )
            xpath.text = "/descendant::ds:Signature"
            transforms.append((Transform.XPATH_FILTER2.value, xpath))
        elif style.document_removal == "xpath":
            xpath = etree.Element(ds("XPath"), nsmap={"ds": DSIG_NS})
            xpath.text = "not(ancestor-or-self::ds:Signature)"
            transforms.append((Transform.XPATH.value, xpath))
    if style.document_c14n:
        transforms.append((style.document_c14n, None))
    if transforms:
        transforms_element = etree.SubElement(document_reference, ds("Transforms"))
        for algorithm, child in transforms:
            transform = etree.SubElement(transforms_element, ds("Transform"), Algorithm=algorithm)
            if child is not None:
                transform.append(child)
    etree.SubElement(document_reference, ds("DigestMethod"), Algorithm=style.digest_method.value)
    document_digest = etree.SubElement(document_reference, ds("DigestValue"))

    properties_reference = etree.SubElement(
        signed_info, ds("Reference"), Type=SIGNED_PROPERTIES_TYPE, URI=f"#{style.signed_properties_id}"
    )
    if style.properties_c14n:
        etree.SubElement(
            etree.SubElement(properties_reference, ds("Transforms")), ds("Transform"), Algorithm=style.properties_c14n
        )
    etree.SubElement(properties_reference, ds("DigestMethod"), Algorithm=style.digest_method.value)
    properties_digest = etree.SubElement(properties_reference, ds("DigestValue"))

    key_info_digest = None
    if style.key_info_reference:
        key_info_reference = etree.SubElement(signed_info, ds("Reference"), URI=f"#{style.key_info_id}")
        if style.key_info_c14n:
            etree.SubElement(
                etree.SubElement(key_info_reference, ds("Transforms")), ds("Transform"), Algorithm=style.key_info_c14n
            )
        etree.SubElement(key_info_reference, ds("DigestMethod"), Algorithm=style.digest_method.value)
        key_info_digest = etree.SubElement(key_info_reference, ds("DigestValue"))

    signature_value = etree.SubElement(signature, ds("SignatureValue"))
    if style.signature_value_id:
        signature_value.set("Id", style.signature_value_id)
    key_info = etree.SubElement(signature, ds("KeyInfo"))
    if style.key_info_id:
        key_info.set("Id", style.key_info_id)
    if style.key_value:
        _key_value(key_info, ds, key_value_certificate or certificate)
    x509_data = etree.SubElement(key_info, ds("X509Data"))
    for item in (certificate, *style.extra_key_info_certificates):
        etree.SubElement(x509_data, ds("X509Certificate")).text = _b64(item.public_bytes(Encoding.DER))

    qualifying_nsmap = {"xades": XADES_NS}
    if style.qualifying_declares_default:
        qualifying_nsmap[None] = DSIG_NS  # type: ignore[index]
    qualifying = etree.SubElement(
        etree.SubElement(signature, ds("Object")), xades("QualifyingProperties"), nsmap=qualifying_nsmap
    )
    qualifying.set("Target", f"#{style.signature_id}")
    signed_properties = etree.SubElement(qualifying, xades("SignedProperties"), Id=style.signed_properties_id)
    signature_properties = etree.SubElement(signed_properties, xades("SignedSignatureProperties"))
    if style.time_format != "none":
        etree.SubElement(signature_properties, xades("SigningTime")).text = _signing_time(now, style.time_format)
    named = signing_certificate or certificate
    der = named.public_bytes(Encoding.DER)
    versions = {"v1": ["SigningCertificate"], "v2": ["SigningCertificateV2"], "none": []}.get(
        style.signing_certificate, ["SigningCertificate", "SigningCertificateV2"]
    )
    for version in versions:
        cert = etree.SubElement(etree.SubElement(signature_properties, xades(version)), xades("Cert"))
        cert_digest = etree.SubElement(cert, xades("CertDigest"))
        etree.SubElement(cert_digest, ds("DigestMethod"), Algorithm=style.cert_digest_method.value)
        etree.SubElement(cert_digest, ds("DigestValue")).text = _digest(style.cert_digest_method, der)
        if version == "SigningCertificate":
            issuer_serial = etree.SubElement(cert, xades("IssuerSerial"))
            etree.SubElement(issuer_serial, ds("X509IssuerName")).text = _issuer_name(named, style.issuer_format)
            etree.SubElement(issuer_serial, ds("X509SerialNumber")).text = str(named.serial_number)
    if style.data_object_format:
        data_object = etree.SubElement(
            etree.SubElement(signed_properties, xades("SignedDataObjectProperties")),
            xades("DataObjectFormat"),
            ObjectReference=f"#{style.reference_id}",
        )
        if style.data_object_format == "signxml":
            etree.SubElement(data_object, xades("Description")).text = "Logowanie do KSeF"
        etree.SubElement(data_object, xades("MimeType")).text = "text/xml"

    if style.packaging == "enveloped":
        root.append(signature)
        document = tree
    else:
        request_object = etree.SubElement(signature, ds("Object"), Id=object_id)
        request_object.append(root)
        tree = signature.getroottree()
        document = tree

    properties_digest.text = _digest(style.digest_method, canonical(signed_properties, style.properties_c14n))
    if key_info_digest is not None:
        key_info_digest.text = _digest(style.digest_method, canonical(key_info, style.key_info_c14n))
    if style.packaging == "enveloped":
        unsigned_copy = copy.deepcopy(tree)
        copied_signature = unsigned_copy.getroot()[-1]
        unsigned_copy.getroot().remove(copied_signature)
        document_digest.text = _digest(
            style.digest_method,
            canonical(unsigned_copy if style.document_removal != "none" else tree, style.document_c14n),
        )
    else:
        document_digest.text = _digest(style.digest_method, canonical(request_object, style.document_c14n))
    signature_value.text = _b64(sign_value(key, canonical(signed_info, style.signed_info_c14n), method, style))
    return etree.tostring(document, xml_declaration=has_declaration, encoding="utf-8")


def resign(document: bytes, key: PrivateKey, style: Style) -> bytes:
    """Recompute SignatureValue over the (possibly altered) SignedInfo of a signed document, leaving all else as is."""
    root = etree.fromstring(document)
    signature = next(root.iter(f"{{{DSIG_NS}}}Signature"))
    signed_info = signature.find(f"{{{DSIG_NS}}}SignedInfo")
    signature_value = signature.find(f"{{{DSIG_NS}}}SignatureValue")
    assert signed_info is not None
    assert signature_value is not None
    algorithm = signed_info.find(f"{{{DSIG_NS}}}CanonicalizationMethod").get("Algorithm")  # type: ignore[union-attr]
    method = SignatureMethod(signed_info.find(f"{{{DSIG_NS}}}SignatureMethod").get("Algorithm"))  # type: ignore[union-attr]
    signature_value.text = _b64(sign_value(key, canonical(signed_info, algorithm), method, style))
    return etree.tostring(root.getroottree(), xml_declaration=document.lstrip().startswith(b"<?xml"), encoding="utf-8")


def digest_of(method: DigestMethod, data: bytes) -> str:
    """Base64 digest, for tests that rewrite a DigestValue."""
    return _digest(method, data)
