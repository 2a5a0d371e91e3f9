"""The user guide's whole certificate journey through the `ksef-mcu` command, as separate processes, against a real
`ksef-mcu serve`: self-signed login → Authentication certificate → log in with it → Offline certificate → a KOD II
link signed with it verifies → list with filters → download → revoke → the revoked certificate no longer logs in."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from ksef_mcu.cli._common import ExitCode
from ksef_mcu.crypto.certificates import (
    KsefCertificateType,
    certificate_serial,
    classify_certificate,
    key_matches_certificate,
    load_certificate,
)
from ksef_mcu.crypto.errors import QrError
from ksef_mcu.crypto.keys import load_private_key
from ksef_mcu.crypto.qr import InvoiceHash, parse_offline_qr_link, verify_offline_qr_link
from ksef_mcu.identifiers import generate_random_nip
from support.processes import KSEF_MCU, clean_environment, serving

pytestmark = pytest.mark.e2e

PASSWORD = "Abcdefgh1234567!"
INVOICE = b"""<?xml version="1.0" encoding="UTF-8"?>
<Faktura xmlns="http://crd.gov.pl/wzor/2025/06/25/13775/"><Podmiot1><DaneIdentyfikacyjne><NIP>{nip}</NIP>
</DaneIdentyfikacyjne></Podmiot1><Fa><P_1>2026-03-02</P_1></Fa></Faktura>
"""


class Cli:
    """Runs `ksef-mcu` as a new process in `work`, with its own config directory and server address."""

    def __init__(self, work: Path, config: Path, base_url: str) -> None:
        self.work = work
        self.environment = clean_environment(config_dir=str(config), api_url=base_url)

    def __call__(self, *arguments: str, expect: int = 0, input: str | None = None) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(KSEF_MCU), *arguments],
            cwd=self.work,
            env=self.environment,
            input=input,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == expect, (
            f"ksef-mcu {' '.join(arguments)} → {result.returncode}\n{result.stdout}\n{result.stderr}"
        )
        return result

    def listed(self, *filters: str) -> list[dict[str, object]]:
        items: list[dict[str, object]] = json.loads(self("cert", "list", "--json", *filters).stdout)
        return items


def _serial_from(output: str) -> str:
    [serial] = [line.split()[-1] for line in output.splitlines() if "Certyfikat wydany; numer seryjny:" in line]
    return serial


def test_the_whole_certificate_journey(tmp_path: Path) -> None:
    work = tmp_path / "praca"
    work.mkdir()
    (work / "haslo.txt").write_text(PASSWORD + "\n")
    nip = generate_random_nip()
    (work / "faktura.xml").write_bytes(INVOICE.replace(b"{nip}", nip.encode()))

    with serving(tmp_path / "data") as base_url:
        cli = Cli(work, tmp_path / "config", base_url)
        pw = ("--password-file", "haslo.txt")

        # 1. A self-signed test certificate (as the official test tools make them) logs in, in sandbox mode.
        cli("cert", "self-signed", "logowanie-testowe", "--nip", nip, *pw)
        cli("login", "--cert", "logowanie-testowe.crt", "--key", "logowanie-testowe.key", *pw)
        profile = tmp_path / "config" / "profiles" / "local.json"
        assert (profile.stat().st_mode & 0o777) == 0o600

        # 2. An Authentication certificate: key on this machine, request, live status, NAZWA.crt beside NAZWA.key.
        requested = cli("cert", "request", "Logowanie firmy", "--type", "authentication", *pw)
        assert "pozostało 300 z 300" in requested.stdout
        authentication_serial = _serial_from(requested.stdout)
        authentication = load_certificate((work / "Logowanie firmy.crt").read_bytes())
        assert classify_certificate(authentication) is KsefCertificateType.AUTHENTICATION
        assert certificate_serial(authentication) == authentication_serial

        # 3. Log in again with it.
        cli("login", "--cert", "Logowanie firmy.crt", "--key", "Logowanie firmy.key", *pw)
        assert "(uwierzytelnienie)" in cli("whoami").stdout

        # 4. An Offline certificate, requested with the new login.
        offline_serial = _serial_from(cli("cert", "request", "Faktury offline", "--type", "offline", *pw).stdout)
        offline = load_certificate((work / "Faktury offline.crt").read_bytes())
        offline_key = load_private_key((work / "Faktury offline.key").read_bytes(), PASSWORD)
        assert classify_certificate(offline) is KsefCertificateType.OFFLINE
        assert key_matches_certificate(offline_key, offline)

        # 5. A KOD II link signed with it verifies (and the certificate chains to the server's CA).
        qr_command = ["qr", "offline", "--cert", "Faktury offline.crt", "--key", "Faktury offline.key"]
        qr_command += ["--invoice", "faktura.xml", "--base-url", f"{base_url}/qr", *pw, "--output", "kod2.png"]
        link = cli(*qr_command).stdout.splitlines()[0]
        parsed = verify_offline_qr_link(link, offline)
        assert parsed.certificate_serial == offline_serial
        assert parsed.seller_nip == nip
        assert parsed.invoice_hash == InvoiceHash.of((work / "faktura.xml").read_bytes())
        assert (work / "kod2.png").read_bytes().startswith(b"\x89PNG")
        tampered = link.replace(f"/{nip}/", f"/{generate_random_nip()}/")
        with pytest.raises(QrError):
            verify_offline_qr_link(tampered, offline)
        ca_chain = x509.load_pem_x509_certificates(httpx.get(f"{base_url}/ca/certificate", timeout=10).content)
        issuer = next(ca for ca in ca_chain if ca.subject == offline.issuer)
        issuer_key = issuer.public_key()
        assert isinstance(issuer_key, ec.EllipticCurvePublicKey)
        issuer_key.verify(offline.signature, offline.tbs_certificate_bytes, ec.ECDSA(offline.signature_hash_algorithm))  # type: ignore[arg-type]
        assert parse_offline_qr_link(link).link == link

        # 6. "Lista certyfikatów" with filters.
        assert {item["certificateSerialNumber"] for item in cli.listed()} == {authentication_serial, offline_serial}
        assert [item["certificateSerialNumber"] for item in cli.listed("--type", "offline")] == [offline_serial]
        assert [item["name"] for item in cli.listed("--name", "Logowanie")] == ["Logowanie firmy"]
        assert [item["type"] for item in cli.listed("--serial", authentication_serial)] == ["Authentication"]
        assert len(cli.listed("--status", "active")) == 2
        assert cli.listed("--expires-after", "2100-01-01") == []
        table = cli("cert", "list").stdout
        assert "Faktury offline" in table
        assert "Aktywny" in table

        # 7. "Pobierz certyfikat": both at once, named after the certificates.
        cli("cert", "download", authentication_serial, offline_serial, "--out", "pobrane")
        assert (work / "pobrane" / "Logowanie firmy.crt").read_bytes() == (work / "Logowanie firmy.crt").read_bytes()
        assert (work / "pobrane" / "Faktury offline.crt").read_bytes() == (work / "Faktury offline.crt").read_bytes()

        # 8. Revoke the Authentication certificate; it is listed as revoked and cannot be downloaded any more.
        revoked = cli("cert", "revoke", authentication_serial, "--reason", "key-compromise", input="t\n")
        assert "został unieważniony" in revoked.stdout
        [item] = cli.listed("--serial", authentication_serial)
        assert item["status"] in ("Revoked", "Blocked")
        assert "jest unieważniony" in cli("cert", "download", authentication_serial, expect=ExitCode.REFUSED).stderr
        crl = x509.load_der_x509_crl(httpx.get(f"{base_url}/ca/crl", timeout=10).content)
        assert crl.get_revoked_certificate_by_serial_number(authentication.serial_number) is not None

        # 9. The revoked certificate can no longer log in; the offline one never could.
        refused = cli(
            "login", "--cert", "Logowanie firmy.crt", "--key", "Logowanie firmy.key", *pw, expect=ExitCode.REFUSED
        )
        assert "460" in refused.stderr
        assert "odwołany" in refused.stderr
        offline_login = cli(
            "login", "--cert", "Faktury offline.crt", "--key", "Faktury offline.key", *pw, expect=ExitCode.LOCAL
        )
        assert "certyfikat offline" in offline_login.stderr.lower()

        cli("logout")
        assert not profile.exists()
