"""The whole journey through the MCU screens in Chromium, for an Authentication and an Offline certificate: log in,
"Wnioskuj o certyfikat", "Generuj" (the key file saved), "Przesłanie wniosku", the status, "Pobierz certyfikat" —
then the files checked with Python and OpenSSL, the certificate used to log in (through /v2 and through the
"Certyfikat KSeF" screen), and every request the pages made searched for the key and the password."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from playwright.sync_api import BrowserContext, Page

from ksef_mcu.crypto.certificates import KsefCertificateType, classify_certificate
from ksef_mcu.crypto.keys import load_private_key
from ksef_mcu.crypto.xades import XadesSigner
from support.browser import RequestRecorder
from support.login import Identity, bearer, signed_request
from support.screens_browser import (
    PASSWORD,
    McuServer,
    download_issued,
    generate_key,
    log_in_for_test,
    openssl,
    send_request,
)

AUTHENTICATION = "Uwierzytelnienie w systemie KSeF"
OFFLINE = "Podpis linku we weryfikacji wystawcy"


def check_key_file(key_file: Path, certificate: x509.Certificate) -> bytes:
    """The `.key` as the MCU's: PBES2 / PBKDF2 / hmacWithSHA256 / AES-256-CBC / 100 000 iterations, opened by OpenSSL
    and by our loader with the password, holding the certificate's public key. Returns the plain PKCS#8 DER."""
    text = key_file.read_text()
    assert text.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----\n")
    parsed = openssl("asn1parse", "-in", str(key_file))
    for expected in ("PBES2", "PBKDF2", "hmacWithSHA256", "aes-256-cbc", ":0186A0"):
        assert expected in parsed, (expected, parsed)
    public_from_key = openssl("pkey", "-in", str(key_file), "-passin", f"pass:{PASSWORD}", "-pubout")
    certificate_pem = key_file.with_suffix(".check.crt")
    certificate_pem.write_bytes(certificate.public_bytes(Encoding.PEM))
    assert public_from_key == openssl("x509", "-in", str(certificate_pem), "-pubkey", "-noout")
    key = load_private_key(key_file.read_bytes(), PASSWORD)
    assert key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo) == (
        certificate.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    )
    return key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())


def log_in_with_ksef_certificate(page: Page, url: str, nip: str, certificate: Path, key: Path, password: str) -> None:
    page.goto(f"{url}/")
    page.get_by_role("link", name="Certyfikat KSeF").click()
    page.get_by_label("Identyfikator kontekstu").fill(nip)
    page.get_by_label("Certyfikat (.crt)").set_input_files(certificate)
    page.get_by_label("Klucz prywatny (.key)").set_input_files(key)
    page.get_by_label("Hasło", exact=True).fill(password)
    page.get_by_role("button", name="Zaloguj").click()


def v2_login(url: str, key_file: Path, certificate: x509.Certificate, nip: str, mcu: McuServer) -> int:
    """Log in through /v2 (XAdES, as any client) with the browser's key and the issued certificate: the status."""
    key = load_private_key(key_file.read_bytes(), PASSWORD)
    identity = Identity(key, certificate, XadesSigner(key, certificate), nip=nip)
    with httpx.Client(base_url=url) as client:
        challenge = client.post("/v2/auth/challenge").json()["challenge"]
        xml = signed_request(identity, challenge, context=nip, now=mcu.clock.now())
        started = client.post("/v2/auth/xades-signature", content=xml, headers={"Content-Type": "application/xml"})
        assert started.status_code == 202, started.text
        body = started.json()
        status = client.get(f"/v2/auth/{body['referenceNumber']}", headers=bearer(body["authenticationToken"]["token"]))
    return int(status.json()["status"]["code"])


@pytest.mark.parametrize(
    ("purpose", "rsa", "expected_type"),
    [(AUTHENTICATION, False, KsefCertificateType.AUTHENTICATION), (OFFLINE, True, KsefCertificateType.OFFLINE)],
    ids=["authentication-ec", "offline-rsa"],
)
def test_request_download_and_use_a_certificate(
    mcu: McuServer,
    context: BrowserContext,
    recorder: RequestRecorder,
    screen: Page,
    tmp_path: Path,
    purpose: str,
    rsa: bool,
    expected_type: KsefCertificateType,
) -> None:
    name = "Certyfikat offline" if rsa else "Certyfikat do logowania"
    nip = log_in_for_test(screen, mcu.url)
    screen.get_by_role("navigation", name="Menu główne").get_by_role("link", name="Certyfikaty").click()
    screen.get_by_role("heading", name="Generowanie klucza i wniosku o wydanie certyfikatu").wait_for()
    key_file = generate_key(screen, tmp_path, name, rsa=rsa)
    assert screen.get_by_text(f"Klucz prywatny zapisano w pliku {name}.key").is_visible()
    send_request(screen, purpose)
    crt_file = download_issued(screen, tmp_path)
    assert crt_file.name == f"{name}.crt"
    pem = crt_file.read_bytes()
    assert pem.startswith(b"-----BEGIN CERTIFICATE-----\n")
    certificate = x509.load_pem_x509_certificate(pem)
    assert classify_certificate(certificate) is expected_type
    assert "Subject: " in openssl("x509", "-in", str(crt_file), "-noout", "-text")
    plain_key = check_key_file(key_file, certificate)

    # The certificate logs in through /v2 (XAdES) when it is an Authentication one; an Offline one is refused.
    code = v2_login(mcu.url, key_file, certificate, nip, mcu)
    assert code == (200 if expected_type is KsefCertificateType.AUTHENTICATION else 460)

    # ... and through the "Certyfikat KSeF" screen, in a fresh browser context.
    other = context.browser.new_context() if context.browser else None
    assert other is not None
    recorder.attach(other)
    try:
        page = other.new_page()
        log_in_with_ksef_certificate(page, mcu.url, nip, crt_file, key_file, PASSWORD)
        if expected_type is KsefCertificateType.AUTHENTICATION:
            page.get_by_role("heading", name="Witaj, Firma testowa").wait_for()
            assert page.get_by_text("Certyfikat KSeF", exact=True).is_visible()
        else:
            page.get_by_text("Do logowania służy certyfikat „Uwierzytelnienie w systemie KSeF”").wait_for()
    finally:
        other.close()

    secrets = {
        "password": PASSWORD.encode(),
        "key file": key_file.read_bytes(),
        "encrypted key": base64.b64decode("".join(key_file.read_text().splitlines()[1:-1])),
        "plain PKCS#8": plain_key,
    }
    assert recorder.network_requests, "the recorder saw the pages' requests"
    recorder.assert_no_secrets(secrets)


def test_wrong_password_on_the_ksef_login_says_so(
    mcu: McuServer, screen: Page, recorder: RequestRecorder, tmp_path: Path
) -> None:
    nip = log_in_for_test(screen, mcu.url)
    screen.get_by_role("link", name="Wnioskuj o certyfikat").first.click()
    key_file = generate_key(screen, tmp_path, "Klucz na pomylke")
    send_request(screen, AUTHENTICATION)
    crt_file = download_issued(screen, tmp_path)
    screen.get_by_role("button", name="Wyloguj").click()
    recorder.start()
    log_in_with_ksef_certificate(screen, mcu.url, nip, crt_file, key_file, "Zle-Haslo-Do-Klucza-1")
    screen.get_by_role("heading", name="Nie udało się zalogować").wait_for()
    assert screen.get_by_role("link", name="Nieprawidłowe hasło do klucza prywatnego.").is_visible()
    assert screen.get_by_label("Hasło", exact=True).get_attribute("aria-invalid") == "true"
    # A wrong password never reaches the network: nothing was sent at all.
    assert [request for request in recorder.network_requests if request.method == "POST"] == []
    recorder.assert_no_secrets({"password": b"Zle-Haslo-Do-Klucza-1", "key file": key_file.read_bytes()})
