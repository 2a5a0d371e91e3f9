"""Every signature style KSeF clients produce verifies, and says who signed what.

The generators in `styles.py` are ours; `test_generators_agree_with_xmlsec1` checks them against libxmlsec1, so a
passing style here is a style an independent verifier also accepts.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from ksef_mcu.crypto.certificates import sha256_fingerprint
from ksef_mcu.crypto.xades import (
    AllowedIps,
    AuthTokenNamespace,
    ContextIdentifier,
    ContextIdentifierType,
    SubjectIdentifierTypeXml,
    verify_auth_token_request,
)
from ksef_mcu.crypto.xades.algorithms import DigestMethod, SignatureMethod
from ksef_mcu.identifiers import SubjectIdentifier, SubjectIdentifierType

from .pki import (
    CHALLENGE,
    NIP,
    NOW,
    PESEL,
    PrivateKey,
    ec_key,
    make_certificate,
    person_name,
    plain_name,
    rsa_key,
    seal_name,
)
from .styles import (
    C14N,
    C14N_11,
    CLIENT_STYLES,
    CSHARP,
    EXC,
    JAVA_DSS,
    KSEF_CLIENT,
    SIGNXML,
    Style,
    sign_in_style,
    unsigned_request,
)

KEYS = {"ec-p256": ec_key, "rsa-2048": rsa_key}


def _verify(document: bytes, now: dt.datetime = NOW):  # type: ignore[no-untyped-def]
    return verify_auth_token_request(document, now=now)


@pytest.mark.parametrize("namespace", ["2.0", "2.1"])
@pytest.mark.parametrize("key_name", sorted(KEYS))
@pytest.mark.parametrize("client", sorted(CLIENT_STYLES))
def test_client_style_verifies(client: str, key_name: str, namespace: str) -> None:
    style, layout = CLIENT_STYLES[client]
    key = KEYS[key_name]()
    certificate = make_certificate(key)
    document = sign_in_style(unsigned_request(layout=layout, namespace=namespace), key, certificate, style, NOW)
    login = _verify(document)
    assert login.challenge == CHALLENGE
    assert login.context == ContextIdentifier(ContextIdentifierType.NIP, NIP)
    assert login.subject_identifier_type is SubjectIdentifierTypeXml.CERTIFICATE_SUBJECT
    assert login.subject_identifier == SubjectIdentifier(SubjectIdentifierType.NIP, NIP)
    assert login.certificate == certificate
    assert login.namespace is AuthTokenNamespace(namespace)
    assert login.allowed_ips is None
    assert login.signing_time.tzinfo is dt.UTC
    assert NOW - dt.timedelta(minutes=2) <= login.signing_time <= NOW


ALGORITHMS = [
    ("rsa-sha1", rsa_key, SignatureMethod.RSA_SHA1, DigestMethod.SHA1),
    ("rsa-sha384", rsa_key, SignatureMethod.RSA_SHA384, DigestMethod.SHA384),
    ("rsa-sha512", rsa_key, SignatureMethod.RSA_SHA512, DigestMethod.SHA512),
    ("rsa-pss-sha256", rsa_key, SignatureMethod.RSA_PSS_SHA256, DigestMethod.SHA256),
    ("rsa-pss-sha512", rsa_key, SignatureMethod.RSA_PSS_SHA512, DigestMethod.SHA512),
    ("rsa-pss-sha3-256", rsa_key, SignatureMethod.RSA_PSS_SHA3_256, DigestMethod.SHA3_256),
    ("ecdsa-sha1", ec_key, SignatureMethod.ECDSA_SHA1, DigestMethod.SHA1),
    ("ecdsa-sha384", ec_key, SignatureMethod.ECDSA_SHA384, DigestMethod.SHA384),
    ("ecdsa-sha512", ec_key, SignatureMethod.ECDSA_SHA512, DigestMethod.SHA512),
    ("ecdsa-sha3-256", ec_key, SignatureMethod.ECDSA_SHA3_256, DigestMethod.SHA3_256),
    ("p384 ecdsa-sha384", lambda: ec_key("secp384r1"), SignatureMethod.ECDSA_SHA384, DigestMethod.SHA384),
    (
        "p521 ecdsa-sha256 (C# on .NET 8)",
        lambda: ec_key("secp521r1"),
        SignatureMethod.ECDSA_SHA256,
        DigestMethod.SHA256,
    ),
    ("rsa-3072", lambda: rsa_key(3072), SignatureMethod.RSA_SHA256, DigestMethod.SHA256),
]


@pytest.mark.parametrize(("name", "make_key", "method", "digest"), ALGORITHMS, ids=[case[0] for case in ALGORITHMS])
@pytest.mark.parametrize("style", [CSHARP, JAVA_DSS], ids=["csharp", "java"])
def test_signature_and_digest_algorithms(
    name: str, make_key, method: SignatureMethod, digest: DigestMethod, style: Style
) -> None:  # type: ignore[no-untyped-def]
    key = make_key()
    document = sign_in_style(
        unsigned_request(),
        key,
        make_certificate(key),
        style.but(signature_method=method, digest_method=digest, cert_digest_method=digest),
        NOW,
    )
    assert _verify(document).signature_method is method


@pytest.mark.parametrize("half_bytes", [33, 40, 66])
def test_ecdsa_value_of_unusual_even_length_is_split_in_half(half_bytes: int) -> None:
    key = ec_key()
    document = sign_in_style(
        unsigned_request(), key, make_certificate(key), JAVA_DSS.but(ecdsa_half_bytes=half_bytes), NOW
    )
    assert _verify(document).signature_method is SignatureMethod.ECDSA_SHA256


VARIANTS = {
    "xpath 1.0 not(ancestor-or-self)": CSHARP.but(document_removal="xpath"),
    "document without c14n transform": CSHARP.but(document_c14n=None),
    "inclusive c14n everywhere": CSHARP.but(document_c14n=C14N, properties_c14n=C14N),
    "c14n 1.1 SignedInfo, exc elsewhere": KSEF_CLIENT.but(signed_info_c14n=C14N_11),
    "KeyInfo reference with exc c14n": KSEF_CLIENT.but(key_info_reference=True, key_info_id="ki", key_info_c14n=EXC),
    "signxml with SigningCertificate v1": SIGNXML.but(signing_certificate="v1"),
    "java with SigningCertificateV2": JAVA_DSS.but(signing_certificate="v2"),
    "signing time without zone": CSHARP.but(time_format="naive"),
    "signing time with offset": CSHARP.but(time_format="2026-05-20T11:59:00.1234567+02:00"),
    "signing time with 9 fraction digits": CSHARP.but(time_format="2026-05-20T09:59:00.123456789Z"),
    "certificate digest sha512": CSHARP.but(cert_digest_method=DigestMethod.SHA512),
    "enveloping without c14n transform": CLIENT_STYLES["enveloping"][0].but(document_c14n=None),
}


@pytest.mark.parametrize("style", list(VARIANTS.values()), ids=list(VARIANTS))
def test_style_variants(style: Style) -> None:
    key = ec_key()
    _verify(sign_in_style(unsigned_request(layout="csharp"), key, make_certificate(key), style, NOW))


def test_signing_time_is_read_in_utc() -> None:
    key = ec_key()
    style = CSHARP.but(time_format="2026-05-20T11:59:00.1234567+02:00")
    login = _verify(sign_in_style(unsigned_request(), key, make_certificate(key), style, NOW))
    assert login.signing_time == dt.datetime(2026, 5, 20, 9, 59, 0, 123456, tzinfo=dt.UTC)


def test_certificate_chain_in_key_info_uses_the_one_signing_certificate_names() -> None:
    ca_key = ec_key(index=7)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")])
    ca = make_certificate(ca_key, ca_name, serial_number=1)
    key = ec_key()
    leaf = make_certificate(key, issuer_key=ca_key, issuer=ca_name)
    document = sign_in_style(unsigned_request(), key, leaf, CSHARP.but(extra_key_info_certificates=(ca,)), NOW)
    assert _verify(document).certificate == leaf


@pytest.mark.parametrize(
    ("subject", "certificate_name", "expected"),
    [
        ("certificateSubject", person_name(), SubjectIdentifier(SubjectIdentifierType.NIP, NIP)),
        ("certificateSubject", person_name(pesel=PESEL), SubjectIdentifier(SubjectIdentifierType.PESEL, PESEL)),
        ("certificateSubject", seal_name(), SubjectIdentifier(SubjectIdentifierType.NIP, NIP)),
        ("certificateFingerprint", plain_name(), None),
        ("certificateFingerprint", seal_name(with_person_attributes=True), None),
        ("certificateFingerprint", person_name(), None),
    ],
)
def test_subject_identifier(subject: str, certificate_name: x509.Name, expected: SubjectIdentifier | None) -> None:
    key = ec_key()
    certificate = make_certificate(key, certificate_name)
    document = sign_in_style(unsigned_request(subject_type=subject), key, certificate, CSHARP, NOW)
    login = _verify(document)
    fingerprint = SubjectIdentifier(SubjectIdentifierType.FINGERPRINT, sha256_fingerprint(certificate))
    assert login.subject_identifier == (expected or fingerprint)
    assert login.subject_identifier_type is SubjectIdentifierTypeXml(subject)


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        (("InternalId", f"{NIP}-00001"), ContextIdentifier(ContextIdentifierType.INTERNAL_ID, f"{NIP}-00001")),
        (("NipVatUe", f"{NIP}-DE123456789"), ContextIdentifier(ContextIdentifierType.NIP_VAT_UE, f"{NIP}-DE123456789")),
        (("PeppolId", "PPL123456"), ContextIdentifier(ContextIdentifierType.PEPPOL_ID, "PPL123456")),
    ],
)
def test_context_types(context: tuple[str, str], expected: ContextIdentifier) -> None:
    key = ec_key()
    document = sign_in_style(unsigned_request(context=context), key, make_certificate(key), JAVA_DSS, NOW)
    assert _verify(document).context == expected


def test_allowed_ips_are_returned() -> None:
    key = ec_key()
    policy = (["192.168.0.1"], ["222.111.0.1-222.111.0.255"], ["192.168.1.0/24", "10.0.0.0/8"])
    document = sign_in_style(
        unsigned_request(allowed_ips=policy, namespace="2.1"), key, make_certificate(key), CSHARP, NOW
    )
    assert _verify(document).allowed_ips == AllowedIps(*policy)


def test_comments_inside_signed_values_are_not_part_of_them() -> None:
    """Comments are not signed (C14N drops them), so they may be added; the value read is still the signed one."""
    key = ec_key()
    document = sign_in_style(unsigned_request(), key, make_certificate(key), CSHARP, NOW)
    commented = document.replace(b">5265877635<", b">52658<!-- 1111111111 -->77635<").replace(
        b"<Challenge>", b"<!-- x --><Challenge>"
    )
    assert _verify(commented).context.value == NIP


def test_declaration_whitespace_and_namespace_declarations_outside_signed_content() -> None:
    key = ec_key()
    document = sign_in_style(unsigned_request(layout="pyksef"), key, make_certificate(key), SIGNXML, NOW)
    assert not document.startswith(b"<?xml")
    _verify(b"\n" + document + b"\n<!-- after -->\n")
    _verify(b'<?xml version="1.0" encoding="UTF-8"?>\n' + document)
    _verify(b"\xef\xbb\xbf" + document)


def test_signing_time_within_clock_skew_is_accepted() -> None:
    key = ec_key()
    document = sign_in_style(unsigned_request(), key, make_certificate(key), JAVA_DSS, NOW + dt.timedelta(minutes=4))
    _verify(document)


def test_naive_now_is_a_programming_error() -> None:
    key = ec_key()
    document = sign_in_style(unsigned_request(), key, make_certificate(key), CSHARP, NOW)
    with pytest.raises(ValueError, match="timezone-aware"):
        verify_auth_token_request(document, now=NOW.replace(tzinfo=None))


# --- the generators agree with an independent verifier ---------------------------------------------------------

_XMLSEC_IDS = [
    "--id-attr:Id",
    "http://uri.etsi.org/01903/v1.3.2#:SignedProperties",
    "--id-attr:Id",
    "http://www.w3.org/2000/09/xmldsig#:KeyInfo",
    "--id-attr:Id",
    "http://www.w3.org/2000/09/xmldsig#:Object",
]


def xmlsec1_verifies(xmlsec1: str, document: bytes, directory: Path) -> subprocess.CompletedProcess[str]:
    path = directory / "signed.xml"
    path.write_bytes(document)
    return subprocess.run(  # noqa: PLW1510
        [xmlsec1, "--verify", "--insecure", *_XMLSEC_IDS, str(path)], capture_output=True, text=True, timeout=30
    )


GENERATOR_CASES: list[tuple[str, Style, str, PrivateKey]] = [
    *[(f"{client} ec", style, layout, ec_key()) for client, (style, layout) in CLIENT_STYLES.items()],
    *[(f"{client} rsa", style, layout, rsa_key()) for client, (style, layout) in CLIENT_STYLES.items()],
    ("xpath 1.0", CSHARP.but(document_removal="xpath"), "csharp", ec_key()),
    ("filter2 under a default namespace", CSHARP.but(document_removal="filter2"), "csharp", rsa_key()),
    ("p521 ecdsa-sha256", CSHARP, "csharp", ec_key("secp521r1")),
    ("sha512", JAVA_DSS.but(digest_method=DigestMethod.SHA512), "java", ec_key()),
]


@pytest.mark.interop
@pytest.mark.parametrize(("name", "style", "layout", "key"), GENERATOR_CASES, ids=[case[0] for case in GENERATOR_CASES])
def test_generators_agree_with_xmlsec1(
    xmlsec1: str, tmp_path: Path, name: str, style: Style, layout: str, key: PrivateKey
) -> None:
    document = sign_in_style(unsigned_request(layout=layout), key, make_certificate(key), style, NOW)
    result = xmlsec1_verifies(xmlsec1, document, tmp_path)
    assert result.returncode == 0, result.stderr
    _verify(document)


def test_ecdsa_halves_shorter_than_the_curve_are_accepted() -> None:
    """DSS sizes r||s from max(r, s), so about one P-256 signature in 65 536 is 62 bytes (31 + 31)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    from ksef_mcu.crypto.xades.verifier import _verify_signature_value

    # Found once by search: RFC 6979 (deterministic) ECDSA of this message under this key has r, s < 2**248.
    key = ec.derive_private_key(0x4B5345462D4D43552D5841444553, ec.SECP256R1())
    message = b"KSeF DSS short r||s 10283"
    r, s = decode_dss_signature(key.sign(message, ec.ECDSA(hashes.SHA256(), deterministic_signing=True)))
    value = r.to_bytes(31, "big") + s.to_bytes(31, "big")
    _verify_signature_value(value, message, SignatureMethod.ECDSA_SHA256, key.public_key())


def test_real_ksef_certificate_logs_in(official_vectors: dict[str, object]) -> None:
    """A certificate issued by the KSeF TEST CA (ECDSA-SHA512 with NULL parameters) and its published key."""
    import base64
    import warnings

    from ksef_mcu.crypto.keys import load_private_key
    from ksef_mcu.crypto.xades import XadesSigner, build_auth_token_request

    vector = official_vectors["kod2_docs_rsa_pss"]
    assert isinstance(vector, dict)
    der = base64.b64decode(vector["certificate_der_base64"])
    key = load_private_key(vector["private_key_pkcs1_der_base64"].encode())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        certificate = x509.load_der_x509_certificate(der)
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    request = build_auth_token_request(
        CHALLENGE, ContextIdentifier(ContextIdentifierType.NIP, NIP), SubjectIdentifierTypeXml.CERTIFICATE_SUBJECT
    )
    signed = XadesSigner(key, certificate).sign(request, now=now)  # type: ignore[arg-type]
    login = _verify(signed, now)
    assert login.subject_identifier == SubjectIdentifier(SubjectIdentifierType.NIP, "5265877635")
    assert login.certificate.public_bytes(Encoding.DER) == der
