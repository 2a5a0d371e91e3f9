"""Logging in with a certificate: inputs (.crt + .key + password, PKCS#12), checks, and the signed request KSeF gets."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12
from cryptography.x509.oid import NameOID

from ksef_mcu.client import (
    AllowedIps,
    AsyncKsefClient,
    AuthTokenNamespace,
    CertificateCredentials,
    ContextIdentifier,
    ContextIdentifierType,
    Environment,
    KsefInvalidInputError,
    SubjectIdentifierTypeXml,
)
from ksef_mcu.crypto.certificates import SubjectIdentifierType
from ksef_mcu.crypto.csr import check_csr, create_csr
from ksef_mcu.crypto.keys import encrypt_private_key
from ksef_mcu.crypto.xades import verify_auth_token_request

from .fakes import START, FakeClock, FakeKsef, body, make_client, ok, tokens
from .test_auth import AUTH_REFERENCE, CHALLENGE, _auth_status, _script_login
from .test_certificates import SUBMITTED

NIP = "5265877635"
CONTEXT = ContextIdentifier(ContextIdentifierType.NIP, NIP)
PASSWORD = "Tajne-Haslo-123"


def _self_signed(
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, *, offline: bool = False, days: int = 365
) -> x509.Certificate:
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.GIVEN_NAME, "Jan"),
            x509.NameAttribute(NameOID.SURNAME, "Kowalski"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, f"TINPL-{NIP}"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Jan Kowalski"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
        ]
    )
    usage = x509.KeyUsage(
        digital_signature=not offline,
        content_commitment=offline,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(START - timedelta(hours=1))
        .not_valid_after(START + timedelta(days=days))
        .add_extension(usage, critical=True)
        .sign(key, hashes.SHA256())
    )


@pytest.fixture(scope="module")
def person_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def person_certificate(person_key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    return _self_signed(person_key)


def _signed_request(fake: FakeKsef) -> bytes:
    [request] = fake.calls("POST", "/auth/xades-signature")
    return request.content


def test_login_with_crt_and_encrypted_key_sends_a_verifiable_signature(
    fake: FakeKsef, clock: FakeClock, person_key: ec.EllipticCurvePrivateKey, person_certificate: x509.Certificate
) -> None:
    credentials = CertificateCredentials.from_files_content(
        person_certificate.public_bytes(Encoding.PEM), encrypt_private_key(person_key, PASSWORD), PASSWORD
    )
    assert credentials.subject_identifier.type is SubjectIdentifierType.NIP
    assert credentials.subject_identifier.value == NIP
    assert len(credentials.fingerprint) == 64
    _script_login(fake, _auth_status(200))
    with make_client(fake, clock) as client:
        state = client.auth.login_with_certificate(credentials, CONTEXT, verify_certificate_chain=False)
    assert state.reference_number == AUTH_REFERENCE
    verified = verify_auth_token_request(_signed_request(fake), now=START)
    assert verified.challenge == CHALLENGE
    assert verified.context == CONTEXT
    assert verified.subject_identifier_type is SubjectIdentifierTypeXml.CERTIFICATE_SUBJECT
    assert verified.namespace is AuthTokenNamespace.V2_0
    assert verified.certificate == person_certificate
    # The signer is told the challenge's own timestamp as `now` and, like the C# client, signs one minute earlier.
    assert verified.signing_time.isoformat().startswith("2026-03-02T08:59:00")
    assert verified.allowed_ips is None


def test_login_with_pkcs12_rsa_fingerprint_and_ip_policy(fake: FakeKsef, clock: FakeClock) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    certificate = _self_signed(key)
    p12 = pkcs12.serialize_key_and_certificates(
        b"login", key, certificate, None, serialization.BestAvailableEncryption(PASSWORD.encode())
    )
    credentials = CertificateCredentials.from_pkcs12(p12, PASSWORD)
    _script_login(fake, _auth_status(200))
    policy = AllowedIps(ip4_addresses=("192.168.0.1",), ip4_masks=("10.0.0.0/8",))
    with make_client(fake, clock) as client:
        client.auth.login_with_certificate(
            credentials,
            ContextIdentifier(ContextIdentifierType.INTERNAL_ID, "5265877635-12346"),
            subject_identifier_type="certificateFingerprint",
            allowed_ips=policy,
            namespace="2.1",
        )
    verified = verify_auth_token_request(_signed_request(fake), now=START)
    assert verified.namespace is AuthTokenNamespace.V2_1
    assert verified.subject_identifier.type is SubjectIdentifierType.FINGERPRINT
    assert verified.subject_identifier.value == credentials.fingerprint
    assert verified.allowed_ips == policy
    assert verified.context.type is ContextIdentifierType.INTERNAL_ID


@pytest.mark.parametrize(
    ("case", "field"),
    [
        ("wrong-password", "key"),
        ("no-password", "key"),
        ("key-as-certificate", "certificate"),
        ("other-key", "key"),
        ("offline-certificate", "certificate"),
    ],
)
def test_unusable_inputs_are_refused_with_a_polish_reason(
    person_key: ec.EllipticCurvePrivateKey, person_certificate: x509.Certificate, case: str, field: str
) -> None:
    encrypted = encrypt_private_key(person_key, PASSWORD)
    crt = person_certificate.public_bytes(Encoding.PEM)
    other = ec.generate_private_key(ec.SECP256R1())
    arguments = {
        "wrong-password": (crt, encrypted, "zle-haslo"),
        "no-password": (crt, encrypted, None),
        "key-as-certificate": (encrypted, encrypted, PASSWORD),
        "other-key": (crt, encrypt_private_key(other, PASSWORD), PASSWORD),
        "offline-certificate": (_self_signed(person_key, offline=True).public_bytes(Encoding.PEM), encrypted, PASSWORD),
    }[case]
    with pytest.raises(KsefInvalidInputError) as info:
        CertificateCredentials.from_files_content(*arguments)
    assert info.value.field == field
    assert info.value.message


def test_a_pkcs12_with_the_wrong_password_is_refused(
    person_key: ec.EllipticCurvePrivateKey, person_certificate: x509.Certificate
) -> None:
    p12 = pkcs12.serialize_key_and_certificates(
        b"x", person_key, person_certificate, None, serialization.BestAvailableEncryption(b"right")
    )
    with pytest.raises(KsefInvalidInputError) as info:
        CertificateCredentials.from_pkcs12(p12, "wrong")
    assert info.value.field == "pkcs12"
    assert "hasło" in info.value.message.lower()


def test_a_pkcs12_given_as_the_certificate_file_says_how_to_load_it(
    person_key: ec.EllipticCurvePrivateKey, person_certificate: x509.Certificate
) -> None:
    # The one loader (ksef_mcu.crypto.credentials) recognises the file instead of reporting an unreadable certificate.
    p12 = pkcs12.serialize_key_and_certificates(
        b"x", person_key, person_certificate, None, serialization.BestAvailableEncryption(b"right")
    )
    with pytest.raises(KsefInvalidInputError) as info:
        CertificateCredentials.from_files_content(p12, encrypt_private_key(person_key, PASSWORD), PASSWORD)
    assert info.value.field == "certificate"
    assert "PKCS#12" in info.value.message


def test_an_expired_certificate_or_a_bad_context_sends_nothing(
    fake: FakeKsef, clock: FakeClock, person_key: ec.EllipticCurvePrivateKey, person_certificate: x509.Certificate
) -> None:
    credentials = CertificateCredentials.from_key_and_certificate(person_key, person_certificate)
    with make_client(fake, clock) as client:
        with pytest.raises(KsefInvalidInputError) as bad_nip:
            client.auth.login_with_certificate(credentials, ContextIdentifier(ContextIdentifierType.NIP, "123"))
        with pytest.raises(KsefInvalidInputError):
            client.auth.login_with_certificate(credentials, CONTEXT, subject_identifier_type="nip")
        with pytest.raises(KsefInvalidInputError):
            client.auth.login_with_certificate(credentials, CONTEXT, namespace="3.0")
        clock.now = START + timedelta(days=400)
        with pytest.raises(KsefInvalidInputError) as expired:
            client.auth.login_with_certificate(credentials, CONTEXT)
    assert bad_nip.value.field == "context"
    assert "wygasł" in expired.value.message
    assert fake.requests == []


def test_enrollment_data_becomes_a_csr_the_client_can_send(
    fake: FakeKsef, clock: FakeClock, person_key: ec.EllipticCurvePrivateKey
) -> None:
    fake.on(
        "GET",
        "/certificates/enrollments/data",
        ok(
            {
                "commonName": "Jan Kowalski",
                "countryName": "PL",
                "givenName": "Jan",
                "surname": "Kowalski",
                "serialNumber": f"TINPL-{NIP}",
                "uniqueIdentifier": None,
                "organizationName": "",
            }
        ),
    )
    fake.on("POST", "/certificates/enrollments", ok(SUBMITTED, status=202))
    with make_client(fake, clock, token_state=tokens()) as client:
        data = client.certificates.enrollment_data().to_enrollment_data()
        assert data.organization_name is None
        csr_text = create_csr(person_key, data)
        client.certificates.enroll("Certyfikat", "Authentication", csr_text)
        with pytest.raises(KsefInvalidInputError):
            client.certificates.enroll("Certyfikat", "Authentication", "bez base64!")
    sent = body(fake.calls("POST", "/certificates/enrollments")[0])["csr"]
    assert sent == csr_text
    check_csr(sent, data)  # the subject DN is exactly the enrollment data


def test_environments_know_their_qr_hosts() -> None:
    assert Environment.TEST.qr_base_url == "https://qr-test.ksef.mf.gov.pl"
    assert Environment.PROD.qr_base_url == "https://qr.ksef.mf.gov.pl"
    assert Environment.LOCAL.qr_base_url.startswith("http://127.0.0.1:8000")
    assert not Environment.LOCAL.is_official
    assert Environment.parse(" Demo ") is Environment.DEMO
    with pytest.raises(KsefInvalidInputError):
        Environment.parse("staging")


def test_the_qr_base_of_the_server_actually_used() -> None:
    """Our server serves KOD I/II pages at `/qr` beside `/v2`: a local link names the server in use."""
    from ksef_mcu.client.environments import qr_base_url_for

    assert qr_base_url_for("local") == "http://127.0.0.1:8000/qr"
    assert qr_base_url_for(Environment.LOCAL, "http://127.0.0.1:9000") == "http://127.0.0.1:9000/qr"
    assert qr_base_url_for("local", "https://ksef.example/sandbox/v2/") == "https://ksef.example/sandbox/qr"
    # The Ministry's environments keep their QR hosts whatever API address is given.
    assert qr_base_url_for("test", "http://127.0.0.1:9000/v2") == "https://qr-test.ksef.mf.gov.pl"
    with pytest.raises(KsefInvalidInputError):
        qr_base_url_for("local", "ftp://serwer")


def test_async_login_with_certificate(
    fake: FakeKsef, clock: FakeClock, person_key: ec.EllipticCurvePrivateKey, person_certificate: x509.Certificate
) -> None:
    credentials = CertificateCredentials.from_key_and_certificate(person_key, person_certificate)
    _script_login(fake, _auth_status(200))

    async def main() -> str:
        async with AsyncKsefClient(transport=fake.transport, clock=clock) as client:
            state = await client.auth.login_with_certificate(credentials, CONTEXT)
            return state.access_token.token

    assert asyncio.run(main()) == "access-new"
    assert verify_auth_token_request(_signed_request(fake), now=START).context == CONTEXT
