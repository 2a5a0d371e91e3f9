"""Third-party signers and verifiers against ours (test-only dependencies; marked `interop`).

- signatures made by the PyPI `ksef-client` (python-xmlsec / libxmlsec1) and by signxml's `XAdESSigner` (what ksef2 and
  pyksef use) verify with `verify_auth_token_request`;
- signatures made by `XadesSigner` verify with signxml's `XAdESVerifier` and with `xmlsec1 --verify`.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from lxml import etree

from ksef_mcu.crypto.xades import (
    AllowedIps,
    AuthTokenNamespace,
    ContextIdentifier,
    ContextIdentifierType,
    SubjectIdentifierTypeXml,
    XadesSigner,
    build_auth_token_request,
    verify_auth_token_request,
)
from ksef_mcu.identifiers import SubjectIdentifier, SubjectIdentifierType

from .pki import CHALLENGE, NIP, PrivateKey, ec_key, make_certificate, rsa_key, seal_name
from .styles import unsigned_request

pytestmark = pytest.mark.interop

KEYS = {"ec-p256": ec_key, "rsa-2048": rsa_key}


def _now() -> dt.datetime:
    # ksef-client and signxml stamp SigningTime from the wall clock, so these tests verify at the wall clock.
    return dt.datetime.now(dt.UTC)


def _certificate(key: PrivateKey, subject: x509.Name | None = None) -> x509.Certificate:
    now = _now()
    return make_certificate(key, subject, not_before=now - dt.timedelta(hours=1), not_after=now + dt.timedelta(days=1))


def _pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(Encoding.PEM).decode()


@pytest.mark.parametrize("namespace", ["2.0", "2.1"])
@pytest.mark.parametrize("key_name", sorted(KEYS))
def test_ksef_client_signature_verifies(key_name: str, namespace: str) -> None:
    xades = pytest.importorskip("ksef_client.services.xades")
    auth = pytest.importorskip("ksef_client.services.auth")
    key = KEYS[key_name]()
    certificate = _certificate(key)
    unsigned = auth.build_auth_token_request_xml(
        challenge=CHALLENGE,
        context_identifier_type="nip",
        context_identifier_value=NIP,
        subject_identifier_type="certificateSubject",
        schema_version=namespace,
    )
    key_pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    signed = xades.sign_xades_enveloped(unsigned, _pem(certificate), key_pem)
    login = verify_auth_token_request(signed.encode(), now=_now())
    assert login.namespace is AuthTokenNamespace(namespace)
    assert login.context == ContextIdentifier(ContextIdentifierType.NIP, NIP)
    assert login.subject_identifier == SubjectIdentifier(SubjectIdentifierType.NIP, NIP)
    assert login.certificate == certificate


def _signxml_sign(unsigned: bytes, key: PrivateKey, certificate: x509.Certificate) -> bytes:
    signxml = pytest.importorskip("signxml")
    from signxml.xades import XAdESDataObjectFormat, XAdESSigner

    is_ec = isinstance(key, ec.EllipticCurvePrivateKey)
    method = signxml.SignatureMethod.ECDSA_SHA256 if is_ec else signxml.SignatureMethod.RSA_SHA256
    signer = XAdESSigner(
        signature_algorithm=method,
        digest_algorithm=signxml.DigestAlgorithm.SHA256,
        c14n_algorithm=signxml.CanonicalizationMethod.CANONICAL_XML_1_1,
        data_object_format=XAdESDataObjectFormat(Description="Logowanie do KSeF", MimeType="application/xml"),
    )
    signed = signer.sign(etree.fromstring(unsigned), key=key, cert=_pem(certificate))
    return etree.tostring(signed)


@pytest.mark.parametrize("layout", ["compact", "pyksef"], ids=["ksef2", "pyksef"])
@pytest.mark.parametrize("key_name", sorted(KEYS))
def test_signxml_signature_verifies(key_name: str, layout: str) -> None:
    key = KEYS[key_name]()
    certificate = _certificate(key)
    signed = _signxml_sign(unsigned_request(layout=layout), key, certificate)
    assert b"xml-c14n11" in signed
    assert b"SigningCertificateV2" in signed
    login = verify_auth_token_request(signed, now=_now())
    assert login.certificate == certificate
    assert login.namespace is AuthTokenNamespace.V2_0


def _ours(key: PrivateKey, certificate: x509.Certificate, **changes: object) -> bytes:
    arguments: dict[str, object] = {
        "challenge": CHALLENGE,
        "context": ContextIdentifier(ContextIdentifierType.NIP, NIP),
        "subject_identifier_type": SubjectIdentifierTypeXml.CERTIFICATE_SUBJECT,
    } | changes
    request = build_auth_token_request(**arguments)  # type: ignore[arg-type]
    return XadesSigner(key, certificate).sign(request, now=_now())


@pytest.mark.parametrize("key_name", sorted(KEYS))
def test_signxml_verifies_ours(key_name: str) -> None:
    pytest.importorskip("signxml")
    from signxml.xades import XAdESVerifier

    key = KEYS[key_name]()
    certificate = _certificate(key)
    signed = _ours(key, certificate, allowed_ips=AllowedIps(["10.0.0.1"]))
    verifier = XAdESVerifier()
    # signxml canonicalizes SignedInfo in place with lxml, which writes xmlns="" on the grandchildren of an element
    # whose default namespace is declared above it - every C#-style (unprefixed) signature. This switch is signxml's
    # own workaround for that lxml behaviour; xmlsec1 (below) needs no workaround.
    verifier.excise_empty_xmlns_declarations = True
    results = verifier.verify(signed, x509_cert=_pem(certificate), expect_references=2)
    assert results[0].signed_xml is not None
    assert etree.QName(results[0].signed_xml).localname == "AuthTokenRequest"


XMLSEC_IDS = ["--id-attr:Id", "http://uri.etsi.org/01903/v1.3.2#:SignedProperties"]


PREFIXED_ROOT = (
    '<k:AuthTokenRequest xmlns:z="urn:z" xmlns:k="http://ksef.mf.gov.pl/auth/token/2.0" xmlns:a="urn:a?b=c">'
    f"<k:Challenge>{CHALLENGE}</k:Challenge><k:ContextIdentifier><k:Nip>{NIP}</k:Nip></k:ContextIdentifier>"
    "<k:SubjectIdentifierType>certificateSubject</k:SubjectIdentifierType></k:AuthTokenRequest>"
).encode()


@pytest.mark.parametrize("key_name", sorted(KEYS))
@pytest.mark.parametrize("namespaces", ["plain", "csharp-layout", "prefixed-root"])
def test_xmlsec1_verifies_ours(xmlsec1: str, tmp_path: Path, key_name: str, namespaces: str) -> None:
    key = KEYS[key_name]()
    # A seal whose (self-signed) issuer name holds '&' and '<': IssuerSerial text must be escaped consistently.
    certificate = _certificate(key, seal_name())
    if namespaces == "plain":
        signed = _ours(key, certificate)
    else:
        # Inclusive C14N of SignedInfo carries the root's namespace declarations: check them with libxmlsec1 too.
        unsigned = unsigned_request(layout="csharp") if namespaces == "csharp-layout" else PREFIXED_ROOT
        signed = XadesSigner(key, certificate).sign(unsigned, now=_now())
    path = tmp_path / "signed.xml"
    path.write_bytes(signed)
    result = subprocess.run(  # noqa: PLW1510
        [xmlsec1, "--verify", "--insecure", *XMLSEC_IDS, str(path)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    assert "SignedInfo References (ok/all): 2/2" in result.stdout + result.stderr


def test_xmlsec1_refuses_a_tampered_copy_of_ours(xmlsec1: str, tmp_path: Path) -> None:
    key = ec_key()
    signed = _ours(key, make_certificate(key, seal_name(), not_before=_now() - dt.timedelta(hours=1)))
    path = tmp_path / "signed.xml"
    path.write_bytes(signed.replace(NIP.encode(), b"1111111111", 1))
    result = subprocess.run(  # noqa: PLW1510
        [xmlsec1, "--verify", "--insecure", *XMLSEC_IDS, str(path)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode != 0
