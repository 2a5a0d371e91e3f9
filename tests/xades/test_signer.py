"""XadesSigner: the C# client's structure, any reasonable request layout, and clear refusals."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from ksef_mcu.crypto.errors import CertificateError, XadesError, XadesRejection
from ksef_mcu.crypto.xades import (
    ContextIdentifier,
    ContextIdentifierType,
    SignatureMethod,
    XadesSigner,
    build_auth_token_request,
    sign_auth_token_request,
    verify_auth_token_request,
)
from ksef_mcu.crypto.xades.algorithms import DSIG_NS, SIGNED_PROPERTIES_TYPE, XADES_NS

from .pki import CHALLENGE, NIP, NOW, PrivateKey, ec_key, make_certificate, rsa_key, seal_name
from .styles import unsigned_request

DS = f"{{{DSIG_NS}}}"
XA = f"{{{XADES_NS}}}"


def _request(namespace: str = "2.1") -> bytes:
    return build_auth_token_request(
        CHALLENGE, ContextIdentifier(ContextIdentifierType.NIP, NIP), "certificateSubject", namespace=namespace
    )


def _children(element: etree._Element) -> list[str]:
    return [etree.QName(child).localname for child in element]


@pytest.mark.parametrize(
    ("key", "method", "value_bytes"),
    [
        (ec_key(), SignatureMethod.ECDSA_SHA256, 64),
        (ec_key("secp384r1"), SignatureMethod.ECDSA_SHA384, 96),
        (ec_key("secp521r1"), SignatureMethod.ECDSA_SHA512, 132),
        (rsa_key(), SignatureMethod.RSA_SHA256, 256),
    ],
    ids=["p256", "p384", "p521", "rsa2048"],
)
def test_signature_has_the_csharp_structure(key: PrivateKey, method: SignatureMethod, value_bytes: int) -> None:
    certificate = make_certificate(key, seal_name())
    unsigned = _request()
    signed = XadesSigner(key, certificate).sign(unsigned, now=NOW)

    # The request bytes are kept as they came; the signature is the last child of the root.
    end_tag = b"</AuthTokenRequest>"
    assert signed.startswith(unsigned[: -len(end_tag)] + b'<Signature Id="Signature" xmlns="' + DSIG_NS.encode())
    assert signed.endswith(b"</Signature>" + end_tag)

    root = etree.fromstring(signed)
    signature = root[-1]
    assert signature.tag == DS + "Signature"
    assert signature.prefix is None
    assert _children(signature) == ["SignedInfo", "SignatureValue", "KeyInfo", "Object"]
    signed_info = signature[0]
    assert [child.get("Algorithm") for child in signed_info[:2]] == [
        "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
        method.value,
    ]
    document_reference, properties_reference = signed_info.findall(DS + "Reference")
    assert document_reference.get("URI") == ""
    assert [t.get("Algorithm") for t in document_reference.iter(DS + "Transform")] == [
        "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
        "http://www.w3.org/2001/10/xml-exc-c14n#",
    ]
    assert properties_reference.get("URI") == "#SignedProperties"
    assert properties_reference.get("Type") == SIGNED_PROPERTIES_TYPE
    assert [t.get("Algorithm") for t in properties_reference.iter(DS + "Transform")] == [
        "http://www.w3.org/2001/10/xml-exc-c14n#"
    ]
    for reference in (document_reference, properties_reference):
        digest_method = reference.find(DS + "DigestMethod")
        assert digest_method is not None
        assert digest_method.get("Algorithm") == "http://www.w3.org/2001/04/xmlenc#sha256"

    value = signature.findtext(DS + "SignatureValue")
    assert value is not None
    assert len(base64.b64decode(value)) == value_bytes

    key_info = signature.find(DS + "KeyInfo")
    assert key_info is not None
    assert _children(key_info) == ["X509Data"]
    der = certificate.public_bytes(Encoding.DER)
    assert base64.b64decode(key_info.findtext(f"{DS}X509Data/{DS}X509Certificate") or "") == der

    qualifying = signature.find(f"{DS}Object/{XA}QualifyingProperties")
    assert qualifying is not None
    assert qualifying.get("Target") == "#Signature"
    assert qualifying.nsmap == {None: DSIG_NS, "xades": XADES_NS}
    signed_properties = qualifying.find(f"{XA}SignedProperties")
    assert signed_properties is not None
    assert signed_properties.get("Id") == "SignedProperties"
    properties = signed_properties.find(f"{XA}SignedSignatureProperties")
    assert properties is not None
    assert properties.findtext(XA + "SigningTime") == "2026-05-20T09:59:00Z"  # a minute early, as C# does
    cert = properties.find(f"{XA}SigningCertificate/{XA}Cert")
    assert cert is not None
    assert cert.findtext(f"{XA}CertDigest/{DS}DigestValue") == base64.b64encode(hashlib.sha256(der).digest()).decode()
    assert cert.findtext(f"{XA}IssuerSerial/{DS}X509SerialNumber") == str(certificate.serial_number)
    assert cert.findtext(f"{XA}IssuerSerial/{DS}X509IssuerName") == certificate.issuer.rfc4514_string()

    login = verify_auth_token_request(signed, now=NOW)
    assert login.signature_method is method
    assert login.signing_time == NOW - dt.timedelta(minutes=1)


@pytest.mark.parametrize(
    "unsigned",
    [
        unsigned_request(layout="csharp"),
        unsigned_request(layout="java"),
        unsigned_request(layout="pyksef", namespace="2.1"),
        b"\xef\xbb\xbf" + unsigned_request(layout="csharp"),
        unsigned_request(layout="csharp") + b"<!-- trailing comment -->\n<?trailing pi?>",
        (
            b'<k:AuthTokenRequest xmlns:k="http://ksef.mf.gov.pl/auth/token/2.0" xmlns:x="urn:unused">'
            b"<k:Challenge>"
            + CHALLENGE.encode()
            + b"</k:Challenge><k:ContextIdentifier><k:Nip>"
            + NIP.encode()
            + b"</k:Nip></k:ContextIdentifier><k:SubjectIdentifierType>certificateSubject</k:SubjectIdentifierType>"
            b"</k:AuthTokenRequest >\r\n"
        ),
    ],
    ids=["csharp", "java", "pyksef", "bom", "trailing-misc", "prefixed-root"],
)
def test_any_request_layout_can_be_signed(unsigned: bytes) -> None:
    key = ec_key()
    signed = XadesSigner(key, make_certificate(key)).sign(unsigned, now=NOW)
    login = verify_auth_token_request(signed, now=NOW)
    assert login.context.value == NIP


def test_one_off_function_and_reused_signer_agree() -> None:
    key = rsa_key()
    certificate = make_certificate(key)
    signer = XadesSigner(key, certificate)
    assert signer.certificate is certificate
    # RSASSA-PKCS1-v1_5 is deterministic, so the same input gives the same document.
    assert sign_auth_token_request(_request(), key, certificate, now=NOW) == signer.sign(_request(), now=NOW)
    for namespace in ("2.0", "2.1"):
        assert verify_auth_token_request(signer.sign(_request(namespace), now=NOW), now=NOW).namespace == namespace


def test_signing_time_is_utc_whatever_the_zone_of_now() -> None:
    key = ec_key()
    warsaw = dt.timezone(dt.timedelta(hours=2))
    signed = XadesSigner(key, make_certificate(key)).sign(_request(), now=NOW.astimezone(warsaw))
    assert b"<xades:SigningTime>2026-05-20T09:59:00Z</xades:SigningTime>" in signed


@pytest.mark.parametrize(
    ("unsigned", "reason"),
    [
        (unsigned_request(context=("Nip", "0265877635")), XadesRejection.SCHEMA_INVALID),
        (b'<!DOCTYPE x [<!ENTITY e "e">]>' + unsigned_request(), XadesRejection.DTD_FORBIDDEN),
        (b"<AuthTokenRequest", XadesRejection.MALFORMED_XML),
        (
            unsigned_request().replace(b"<AuthTokenRequest ", b'<AuthTokenRequest xmlns:a="urn:a&amp;b" '),
            XadesRejection.MALFORMED_XML,
        ),
    ],
    ids=["schema", "doctype", "malformed", "namespace-with-ampersand"],
)
def test_refuses_what_it_cannot_sign(unsigned: bytes, reason: XadesRejection) -> None:
    key = ec_key()
    with pytest.raises(XadesError) as caught:
        XadesSigner(key, make_certificate(key)).sign(unsigned, now=NOW)
    assert caught.value.reason is reason


def test_refuses_to_sign_twice() -> None:
    key = ec_key()
    signer = XadesSigner(key, make_certificate(key))
    with pytest.raises(XadesError) as caught:
        signer.sign(signer.sign(_request(), now=NOW), now=NOW)
    assert caught.value.reason is XadesRejection.SCHEMA_INVALID
    assert "Signature" in caught.value.details[0]


@pytest.mark.parametrize(
    ("key", "certificate_key", "message"),
    [
        (rsa_key(1024), rsa_key(1024), "co najmniej 2048"),
        (ec_key("secp224r1"), ec_key("secp224r1"), "nie jest obsługiwana"),
        (ec_key(), ec_key(index=1), "nie pasuje do certyfikatu"),
        (rsa_key(), ec_key(), "nie pasuje do certyfikatu"),
    ],
    ids=["rsa-1024", "p224", "other-ec-key", "rsa-key-ec-certificate"],
)
def test_refuses_unusable_keys(key: PrivateKey, certificate_key: PrivateKey, message: str) -> None:
    with pytest.raises(CertificateError, match=message):
        XadesSigner(key, make_certificate(certificate_key))


def test_refuses_other_key_types() -> None:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.generate()
    with pytest.raises(CertificateError, match="RSA lub EC"):
        XadesSigner(key, make_certificate(ec_key()))  # type: ignore[arg-type]


def test_naive_now_is_a_programming_error() -> None:
    key = ec_key()
    with pytest.raises(ValueError, match="timezone-aware"):
        XadesSigner(key, make_certificate(key)).sign(_request(), now=NOW.replace(tzinfo=None))


def test_long_polish_names_sign_and_verify() -> None:
    """A 64+-byte commonName (Polish company name) makes cryptography warn; signing and verifying still work."""
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    from ksef_mcu.crypto.certificates import ORGANIZATION_IDENTIFIER
    from ksef_mcu.crypto.compat import tolerate_ksef_quirks

    with tolerate_ksef_quirks():
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Przedsiębiorstwo Różnorodnych Usług Żółć"),
                x509.NameAttribute(ORGANIZATION_IDENTIFIER, f"VATPL-{NIP}"),
                x509.NameAttribute(
                    NameOID.COMMON_NAME,
                    "PRZEDSIĘBIORSTWO ŻÓŁTE ŹRÓDŁA SPÓŁKA JAWNA (uwierzytelnienie)",
                    _validate=False,
                ),
                x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
            ]
        )
    key = ec_key()
    with tolerate_ksef_quirks():
        certificate = make_certificate(key, name)
    certificate = x509.load_der_x509_certificate(certificate.public_bytes(Encoding.DER))  # parsed afresh
    signed = XadesSigner(key, certificate).sign(_request(), now=NOW)
    assert verify_auth_token_request(signed, now=NOW).subject_identifier.value == NIP
