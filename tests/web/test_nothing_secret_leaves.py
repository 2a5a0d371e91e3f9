"""The private key and its password never leave the browser: every request the page makes is recorded and searched.

The harness page makes no request at all while it generates a key, saves the `.key` file and signs a login; the
recorder (support.browser.RequestRecorder, reused by the screens' tests) is itself shown to catch each way a secret
could leave: a POST body, a query string, a header, a beacon, a WebSocket frame, in raw, Base64 or hex form.
"""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ksef_mcu.crypto.keys import load_private_key, pem_blocks
from support.browser import Harness, RequestRecorder, b64

PASSWORD = "Nikomu-Nie-Mow-2026"
DATA = {"commonName": "Jan Kowalski", "countryName": "PL", "serialNumber": "PNOPL-88102341294"}


def secrets_of(key_file: str, password: str) -> dict[str, bytes]:
    """The password, the key file, its encrypted DER, the PKCS#8 plaintext and the raw private value."""
    key = load_private_key(key_file.encode(), password)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return {
        "password": password.encode(),
        "key file": key_file.encode(),
        "encrypted key": pem_blocks(key_file.encode())[0].der,
        "PKCS#8 plaintext": key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
        "private value": key.private_numbers().private_value.to_bytes(32, "big"),
    }


@pytest.mark.parametrize("kind", ["ec-p256", "rsa-2048"])
def test_generating_and_saving_a_key_makes_no_request(harness: Harness, recorder: RequestRecorder, kind: str) -> None:
    recorder.start()
    with harness.page.expect_download() as download:
        made = harness.run(
            """const made = await k.enroll.generateKeyAndCsr({ kind: arg.kind, password: arg.password,
                                                            enrollmentData: arg.data });
               k.download.saveTextFile('Moj certyfikat.key', made.keyFile);
               return made;""",
            {"kind": kind, "password": PASSWORD, "data": DATA},
        )
    assert download.value.suggested_filename == "Moj certyfikat.key"
    assert recorder.network_requests == []
    assert recorder.websocket_frames == []
    if kind == "ec-p256":
        recorder.assert_no_secrets(secrets_of(made["keyFile"], PASSWORD))


def test_signing_a_login_makes_no_request(harness: Harness, recorder: RequestRecorder) -> None:
    made = harness.run(
        "return await k.enroll.generateKeyAndCsr({ password: arg.password, enrollmentData: arg.data })",
        {"password": PASSWORD, "data": DATA},
    )
    key = load_private_key(made["keyFile"].encode(), PASSWORD)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Jan Kowalski")])
    now = dt.datetime(2026, 5, 20, tzinfo=dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    recorder.start()
    harness.run(
        """const credentials = await k.xades.openSigningCredentials(
             k.pem.fromBase64(arg.certificate), new TextEncoder().encode(arg.keyFile), arg.password);
           await k.xades.signSignedInfo(credentials, new TextEncoder().encode('<SignedInfo/>'), arg.method);""",
        {
            "certificate": b64(certificate.public_bytes(serialization.Encoding.DER)),
            "keyFile": made["keyFile"],
            "password": PASSWORD,
            "method": "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
        },
    )
    assert recorder.network_requests == []
    recorder.assert_no_secrets(secrets_of(made["keyFile"], PASSWORD))


LEAKS = {
    "post-body": "await fetch('/sink/a', { method: 'POST', body: arg.password });",
    "query-string": "await fetch('/sink/b?p=' + encodeURIComponent(arg.password), { method: 'POST' });",
    "header": "await fetch('/sink/c', { method: 'POST', headers: { 'X-Key': btoa(arg.password) } });",
    "json-base64-key": "await fetch('/sink/d', { method: 'POST', body: JSON.stringify({ k: arg.pkcs8 }) });",
    "hex-key": """await fetch('/sink/e', { method: 'POST',
                    body: k.pem.toHex(k.pem.fromBase64(arg.pkcs8)).toLowerCase() });""",
    "pkcs8-structure-only": """
        const der = await k.pkcs8.encryptPrivateKeyInfo(new Uint8Array(20), 'x', { iterations: 1 });
        await fetch('/sink/f', { method: 'POST', body: der });""",
    "beacon": "navigator.sendBeacon('/sink/g', arg.password); await new Promise((done) => setTimeout(done, 300));",
    "websocket": """const socket = new WebSocket(location.origin.replace('http', 'ws') + '/sink/websocket');
                    await new Promise((done, fail) => {
                      socket.addEventListener('open', done);
                      socket.addEventListener('error', () => fail(new Error('the WebSocket did not open')));
                    });
                    socket.send(arg.password);
                    await new Promise((done) => setTimeout(done, 300));
                    socket.close();""",
}


@pytest.mark.parametrize("leak", sorted(LEAKS))
def test_the_recorder_catches_every_way_out(harness: Harness, recorder: RequestRecorder, leak: str) -> None:
    made = harness.run(
        "return await k.enroll.generateKeyAndCsr({ password: arg.password, enrollmentData: arg.data })",
        {"password": PASSWORD, "data": DATA},
    )
    secrets = secrets_of(made["keyFile"], PASSWORD)
    recorder.start()
    harness.run(LEAKS[leak], {"password": PASSWORD, "pkcs8": b64(secrets["PKCS#8 plaintext"])})
    assert recorder.network_requests, "the leak was not recorded at all"
    with pytest.raises(AssertionError, match="secrets left the browser"):
        recorder.assert_no_secrets(secrets)
    # Innocent traffic passes: the CSR holds only the public key.
    recorder.start()
    harness.run("await fetch('/sink/csr', { method: 'POST', body: arg });", made["csr"])
    assert len(recorder.network_requests) == 1
    recorder.assert_no_secrets(secrets)
