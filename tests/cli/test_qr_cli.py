from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from typer.testing import CliRunner

from ksef_mcu.cli import app
from ksef_mcu.cli._common import ExitCode
from ksef_mcu.cli._profiles import LoginInfo, Profile, save_profile
from ksef_mcu.client import Environment, Token, TokenState
from ksef_mcu.crypto.qr import InvoiceHash, parse_invoice_link, verify_offline_qr_link
from ksef_mcu.qr_images import qr_matrix

INVOICE = """<?xml version="1.0" encoding="UTF-8"?>
<Faktura xmlns="http://crd.gov.pl/wzor/2025/06/25/13775/">
  <Podmiot1><DaneIdentyfikacyjne><NIP>8096529464</NIP><Nazwa>Testowa sp. z o.o.</Nazwa></DaneIdentyfikacyjne></Podmiot1>
  <Podmiot2><DaneIdentyfikacyjne><NIP>1111111111</NIP></DaneIdentyfikacyjne></Podmiot2>
  <Fa><KodWaluty>PLN</KodWaluty><P_1>2026-02-01</P_1><P_2>FV/1/2026</P_2></Fa>
</Faktura>
"""


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No environment variable or login profile of the developer's reaches these tests."""
    for variable in ("KSEF_MCU_ENV", "KSEF_MCU_API_URL"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("KSEF_MCU_CONFIG_DIR", str(tmp_path / "config"))


@pytest.fixture
def invoice(tmp_path: Path) -> Path:
    path = tmp_path / "faktura.xml"
    path.write_text(INVOICE, encoding="utf-8")
    return path


def _run(runner: CliRunner, *arguments: str, password_input: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, ["qr", *arguments], input=password_input)
    return result.exit_code, result.stdout, result.stderr


class TestInvoice:
    def test_reads_nip_and_date_from_the_invoice(self, runner: CliRunner, invoice: Path) -> None:
        code, out, err = _run(runner, "invoice", "--invoice", str(invoice), "--env", "test")
        assert code == 0, err
        link = out.strip()
        parsed = parse_invoice_link(link)
        assert link.startswith("https://qr-test.ksef.mf.gov.pl/invoice/8096529464/01-02-2026/")
        assert parsed.invoice_hash == InvoiceHash.of(invoice.read_bytes())

    def test_official_vector_from_hash(self, runner: CliRunner, official_vectors: dict[str, Any]) -> None:
        vector = official_vectors["kod1_docs_and_csharp_test"]
        code, out, _ = _run(
            runner,
            "invoice",
            "--hash",
            vector["invoice_hash_base64url"],
            "--nip",
            vector["seller_nip"],
            "--date",
            vector["issue_date"],
            "--env",
            "TEST",
        )
        assert code == 0
        assert out.strip() == vector["expected_url"]

    def test_png_with_ksef_number_label(self, runner: CliRunner, invoice: Path, tmp_path: Path) -> None:
        out_file = tmp_path / "kod1.png"
        number = "8096529464-20260201-01004014E040-00"
        code, out, err = _run(
            runner, "invoice", "--invoice", str(invoice), "--ksef-number", number, "--output", str(out_file)
        )
        assert code == 0, err
        assert out.startswith("http://127.0.0.1:8000/qr/invoice/8096529464/01-02-2026/")
        assert f"podpis pod kodem: {number}" in out
        image = Image.open(io.BytesIO(out_file.read_bytes()))
        assert image.format == "PNG"
        square = len(qr_matrix(out.splitlines()[0])) * 6
        label_band = image.crop((0, square, image.width, image.height))
        assert label_band.height > 10
        assert label_band.getextrema()[0] == 0  # something is written under the code
        assert out_file.stat().st_mode & 0o777 == 0o644

    def test_svg_defaults_to_offline_label(self, runner: CliRunner, invoice: Path, tmp_path: Path) -> None:
        out_file = tmp_path / "kod1.svg"
        code, _, err = _run(runner, "invoice", "--invoice", str(invoice), "--output", str(out_file))
        assert code == 0, err
        assert ">OFFLINE</text>" in out_file.read_text(encoding="utf-8")

    @pytest.mark.parametrize(
        ("arguments", "message"),
        [
            ([], "--invoice) albo jej skrót SHA-256 (--hash)"),
            (["--hash", "abc"], "Nieprawidłowy skrót faktury"),
            (["--hash", "UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE"], "podaj go opcją --nip"),
            (["--hash", "UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE", "--nip", "1111111111"], "--date RRRR-MM-DD"),
            (
                [
                    "--hash",
                    "UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE",
                    "--nip",
                    "1111111111",
                    "--date",
                    "01-02-2026",
                ],
                "Nieprawidłowa data",
            ),
            (
                ["--hash", "UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE", "--nip", "111", "--date", "2026-02-01"],
                "Nieprawidłowy NIP sprzedawcy",
            ),
            (
                [
                    "--hash",
                    "UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE",
                    "--nip",
                    "1111111111",
                    "--date",
                    "2026-02-01",
                    "--ksef-number",
                    "123",
                ],
                "Nieprawidłowy numer KSeF",
            ),
        ],
    )
    def test_errors(self, runner: CliRunner, arguments: list[str], message: str) -> None:
        code, _, err = _run(runner, "invoice", *arguments)
        assert code == ExitCode.USAGE
        assert message in err

    def test_unknown_image_format_and_existing_file(self, runner: CliRunner, invoice: Path, tmp_path: Path) -> None:
        code, _, err = _run(runner, "invoice", "--invoice", str(invoice), "--output", str(tmp_path / "kod.jpg"))
        assert code == ExitCode.USAGE
        assert "użyj rozszerzenia .png albo .svg" in err
        existing = tmp_path / "kod.png"
        existing.write_bytes(b"keep")
        code, out, err = _run(runner, "invoice", "--invoice", str(invoice), "--output", str(existing))
        assert code == ExitCode.LOCAL
        assert "już istnieje" in err
        assert out == ""
        assert existing.read_bytes() == b"keep"

    def test_invoice_with_a_dtd_is_hashed_but_not_parsed(self, runner: CliRunner, tmp_path: Path) -> None:
        hostile = tmp_path / "evil.xml"
        hostile.write_text(
            '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            "<Faktura><Podmiot1><DaneIdentyfikacyjne><NIP>&e;</NIP></DaneIdentyfikacyjne></Podmiot1></Faktura>",
            encoding="utf-8",
        )
        code, _, err = _run(runner, "invoice", "--invoice", str(hostile))
        assert code == ExitCode.USAGE
        assert "Nie znaleziono NIP sprzedawcy" in err


class TestOffline:
    def test_signs_with_the_offline_certificate(
        self, runner: CliRunner, invoice: Path, offline_files: Any, tmp_path: Path
    ) -> None:
        out_file = tmp_path / "kod2.png"
        code, out, err = _run(
            runner,
            "offline",
            "--invoice",
            str(invoice),
            "--cert",
            str(offline_files.certificate_path),
            "--key",
            str(offline_files.key_path),
            "--env",
            "demo",
            "--output",
            str(out_file),
            password_input="Abcdefgh1234567!\n",
        )
        assert code == 0, err
        assert "Hasło do klucza prywatnego" in err
        link = out.splitlines()[0]  # the password prompt went to stderr: stdout starts with the link
        parsed = verify_offline_qr_link(link, offline_files.certificate)
        assert link.startswith("https://qr-demo.ksef.mf.gov.pl/certificate/Nip/8096529464/8096529464/01D1732E43B9345E/")
        assert parsed.invoice_hash == InvoiceHash.of(invoice.read_bytes())
        assert len(parsed.signature) == 64
        assert "podpis pod kodem: CERTYFIKAT" in out
        with Image.open(out_file) as image:
            assert image.format == "PNG"

    def test_der_encoding_context_and_svg(
        self, runner: CliRunner, invoice: Path, offline_files: Any, tmp_path: Path
    ) -> None:
        out_file = tmp_path / "kod2.svg"
        code, out, err = _run(
            runner,
            "offline",
            "--invoice",
            str(invoice),
            "--cert",
            str(offline_files.certificate_path),
            "--key",
            str(offline_files.key_path),
            "--password-file",
            str(offline_files.password_path),
            "--context-type",
            "internalid",
            "--context-value",
            "8096529464-00005",
            "--ecdsa-der",
            "--base-url",
            "https://example.test/qr/",
            "--output",
            str(out_file),
        )
        assert code == 0, err
        link = out.splitlines()[0]
        parsed = verify_offline_qr_link(link, offline_files.certificate)
        assert link.startswith("https://example.test/qr/certificate/InternalId/8096529464-00005/8096529464/")
        assert parsed.signature[0] == 0x30
        assert ">CERTYFIKAT</text>" in out_file.read_text(encoding="utf-8")

    def test_refuses_authentication_certificate(
        self, runner: CliRunner, invoice: Path, authentication_files: Any, tmp_path: Path
    ) -> None:
        out_file = tmp_path / "kod2.png"
        code, out, err = _run(
            runner,
            "offline",
            "--invoice",
            str(invoice),
            "--cert",
            str(authentication_files.certificate_path),
            "--key",
            str(authentication_files.key_path),
            "--password-file",
            str(authentication_files.password_path),
            "--output",
            str(out_file),
        )
        assert code == ExitCode.LOCAL
        assert "Certyfikat uwierzytelniający (Typ 1, Authentication) nie może podpisywać KODU II" in err
        assert "certificate/" not in out
        assert not out_file.exists()

    def test_refuses_expired_certificate(self, runner: CliRunner, invoice: Path, expired_offline_files: Any) -> None:
        code, _, err = _run(
            runner,
            "offline",
            "--invoice",
            str(invoice),
            "--cert",
            str(expired_offline_files.certificate_path),
            "--key",
            str(expired_offline_files.key_path),
            "--password-file",
            str(expired_offline_files.password_path),
        )
        assert code == ExitCode.LOCAL
        assert "wygasł" in err

    def test_refuses_key_of_another_certificate(
        self, runner: CliRunner, invoice: Path, offline_files: Any, authentication_files: Any
    ) -> None:
        code, _, err = _run(
            runner,
            "offline",
            "--invoice",
            str(invoice),
            "--cert",
            str(offline_files.certificate_path),
            "--key",
            str(authentication_files.key_path),
            "--password-file",
            str(authentication_files.password_path),
        )
        assert code == ExitCode.LOCAL
        assert "Klucz prywatny nie pasuje do certyfikatu offline." in err


def _profile(environment: Environment, base_url: str, context_nip: str) -> None:
    now = dt.datetime.now(dt.UTC)
    save_profile(
        Profile(
            environment=environment,
            base_url=base_url,
            tokens=TokenState(Token("access", now + dt.timedelta(minutes=10)), None, None),
            login=LoginInfo(
                subject="CN=Jan Testowy",
                identifier_type="Nip",
                identifier_value=context_nip,
                context_type="Nip",
                context_value=context_nip,
                certificate_serial="0102030405060708",
                certificate_fingerprint="AB" * 32,
                certificate_valid_to=now + dt.timedelta(days=700),
                logged_in_at=now,
            ),
        )
    )


class TestWhereTheLinkPoints:
    """`--env` reads `KSEF_MCU_ENV` like every other command; a local link names the server actually configured."""

    def test_ksef_mcu_env_is_honoured_and_env_overrides_it(
        self, runner: CliRunner, invoice: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("KSEF_MCU_ENV", "test")
        code, out, err = _run(runner, "invoice", "--invoice", str(invoice))
        assert code == 0, err
        assert out.startswith("https://qr-test.ksef.mf.gov.pl/invoice/8096529464/")
        code, out, _ = _run(runner, "invoice", "--invoice", str(invoice), "--env", "demo")
        assert out.startswith("https://qr-demo.ksef.mf.gov.pl/invoice/")
        monkeypatch.setenv("KSEF_MCU_ENV", "PROD")
        _, out, _ = _run(runner, "invoice", "--invoice", str(invoice))
        assert out.startswith("https://qr.ksef.mf.gov.pl/invoice/")

    def test_ksef_mcu_env_for_kod_ii(
        self, runner: CliRunner, invoice: Path, offline_files: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("KSEF_MCU_ENV", "demo")
        code, out, err = _run(
            runner,
            "offline",
            "--invoice",
            str(invoice),
            "--cert",
            str(offline_files.certificate_path),
            "--key",
            str(offline_files.key_path),
            "--password-file",
            str(offline_files.password_path),
        )
        assert code == 0, err
        assert out.startswith("https://qr-demo.ksef.mf.gov.pl/certificate/")
        verify_offline_qr_link(out.strip(), offline_files.certificate)

    @pytest.mark.parametrize(
        ("api_url", "qr_base"),
        [
            ("http://127.0.0.1:9000", "http://127.0.0.1:9000/qr"),
            ("http://localhost:9000/v2/", "http://127.0.0.1:9000/qr"),
            ("https://ksef.firma.example/sandbox/v2", "https://ksef.firma.example/sandbox/qr"),
        ],
    )
    def test_the_configured_server(
        self, runner: CliRunner, invoice: Path, monkeypatch: pytest.MonkeyPatch, api_url: str, qr_base: str
    ) -> None:
        monkeypatch.setenv("KSEF_MCU_API_URL", api_url)
        code, out, err = _run(runner, "invoice", "--invoice", str(invoice))
        assert code == 0, err
        assert out.startswith(f"{qr_base}/invoice/8096529464/01-02-2026/")
        assert err == ""
        # `--base-url` still names any address.
        _, out, _ = _run(runner, "invoice", "--invoice", str(invoice), "--base-url", "https://inny.example/qr")
        assert out.startswith("https://inny.example/qr/invoice/")

    def test_the_server_of_the_local_login(self, runner: CliRunner, invoice: Path) -> None:
        _profile(Environment.LOCAL, "http://127.0.0.1:9100/v2", "8096529464")
        code, out, err = _run(runner, "invoice", "--invoice", str(invoice))
        assert code == 0, err
        assert out.startswith("http://127.0.0.1:9100/qr/invoice/")

    def test_a_bad_api_url_is_a_usage_error(
        self, runner: CliRunner, invoice: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("KSEF_MCU_API_URL", "ftp://serwer")
        code, out, err = _run(runner, "invoice", "--invoice", str(invoice))
        assert code == ExitCode.USAGE
        assert "KSEF_MCU_API_URL" in err
        assert out == ""


class TestRealInvoiceWarning:
    def test_a_ministry_server_configured_for_local(
        self, runner: CliRunner, invoice: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("KSEF_MCU_API_URL", "https://api.ksef.mf.gov.pl/v2")
        code, out, err = _run(runner, "invoice", "--invoice", str(invoice))
        assert code == 0
        assert out.startswith("http://127.0.0.1:8000/qr/invoice/")  # never a sandbox path on the Ministry's host
        assert "Uwaga:" in err
        assert "KSeF Ministerstwa Finansów" in err
        assert "--env prod" in err

    def test_the_seller_is_your_production_company(self, runner: CliRunner, invoice: Path) -> None:
        _profile(Environment.PROD, "https://api.ksef.mf.gov.pl/v2", "8096529464")
        code, out, err = _run(runner, "invoice", "--invoice", str(invoice))
        assert code == 0
        assert out.startswith("http://127.0.0.1:8000/qr/invoice/8096529464/")
        assert "sprzedawca 8096529464" in err
        assert "środowisku produkcyjnym" in err
        # The same invoice with a production link, or another seller's invoice: no warning.
        _, _, err = _run(runner, "invoice", "--invoice", str(invoice), "--env", "prod")
        assert err == ""
        _, _, err = _run(
            runner,
            "invoice",
            "--hash",
            "UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE",
            "--nip",
            "5265877635",
            "--date",
            "2026-02-01",
        )
        assert err == ""

    def test_kod_ii_warns_too(self, runner: CliRunner, invoice: Path, offline_files: Any) -> None:
        _profile(Environment.PROD, "https://api.ksef.mf.gov.pl/v2", "8096529464")
        code, out, err = _run(
            runner,
            "offline",
            "--invoice",
            str(invoice),
            "--cert",
            str(offline_files.certificate_path),
            "--key",
            str(offline_files.key_path),
            "--password-file",
            str(offline_files.password_path),
        )
        assert code == 0, err
        assert out.startswith("http://127.0.0.1:8000/qr/certificate/")
        assert "Uwaga:" in err
