"""The networked commands (login, cert request/status/list/download/revoke/limits, testdata) against our real server,
served over HTTP from a thread of the test process; the commands run in-process through typer's CliRunner."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import Result
from typer.testing import CliRunner

from ksef_mcu.cli import _network, app
from ksef_mcu.cli._common import ExitCode
from ksef_mcu.crypto.certificates import (
    KsefCertificateType,
    classify_certificate,
    key_matches_certificate,
    load_certificate,
)
from ksef_mcu.crypto.keys import load_private_key
from ksef_mcu.formatting import start_of_day
from ksef_mcu.identifiers import generate_random_nip
from support.live_server import serve_in_thread
from support.pki import random_pesel

if TYPE_CHECKING:
    from ksef_mcu.server.keys import ServerKeys
    from ksef_mcu.server.settings import ServerSettings
    from ksef_mcu.storage.database import Database

PASSWORD = "Abcdefgh1234567!"


@pytest.fixture
def ksef(
    settings: ServerSettings,
    database: Database,
    server_keys: ServerKeys,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[str]:
    """Our server (real clock, fresh database) on a local port; the CLI's config and working directory in tmp."""
    from ksef_mcu.server.app import create_app

    application = create_app(settings, keys=server_keys, database=database)
    with serve_in_thread(application) as url:
        monkeypatch.setenv("KSEF_MCU_API_URL", url)
        monkeypatch.setenv("KSEF_MCU_CONFIG_DIR", str(tmp_path / "config"))
        monkeypatch.delenv("KSEF_MCU_ENV", raising=False)
        monkeypatch.setattr(_network, "client_sleep", lambda seconds: time.sleep(min(seconds, 0.05)))
        work = tmp_path / "work"
        work.mkdir()
        monkeypatch.chdir(work)
        (work / "haslo.txt").write_text(PASSWORD + "\n")
        yield url


def run(*arguments: str, input: str | None = None, expect: int = 0) -> Result:
    result = CliRunner().invoke(app, list(arguments), input=input)
    assert result.exit_code == expect, f"exit {result.exit_code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result


def self_signed_login(name: str = "login", *, nip: str | None = None, seal: bool = False) -> str:
    """A fresh self-signed identity, logged in; returns its NIP."""
    nip = nip or generate_random_nip()
    run("cert", "self-signed", name, "--nip", nip, *(["--seal"] if seal else []), "--password-file", "haslo.txt")
    run("login", "--cert", f"{name}.crt", "--key", f"{name}.key", "--password-file", "haslo.txt")
    return nip


def request_certificate(name: str, certificate_type: str, *extra: str) -> str:
    """`cert request`; returns the serial it printed."""
    result = run("cert", "request", name, "--type", certificate_type, "--password-file", "haslo.txt", *extra)
    [serial] = [line.split()[-1] for line in result.stdout.splitlines() if "numer seryjny:" in line]
    return serial


def listed(*filters: str) -> list[dict[str, object]]:
    items: list[dict[str, object]] = json.loads(run("cert", "list", "--json", *filters).stdout)
    return items


@pytest.mark.usefixtures("ksef")
class TestLogin:
    def test_login_keeps_a_private_profile_and_logout_ends_it(self, tmp_path: Path) -> None:
        nip = self_signed_login(seal=True)
        profile = tmp_path / "config" / "profiles" / "local.json"
        assert stat.S_IMODE(profile.stat().st_mode) == 0o600
        assert stat.S_IMODE(profile.parent.stat().st_mode) == 0o700
        saved = json.loads(profile.read_text())
        assert saved["login"]["contextValue"] == nip  # the context defaults to the certificate's NIP
        assert saved["tokens"]["accessToken"]
        assert PASSWORD not in profile.read_text()
        assert "PRIVATE KEY" not in profile.read_text()

        shown = run("whoami").stdout
        assert f"NIP {nip}" in shown
        assert "organizationIdentifier=VATPL-" + nip in shown

        assert "Wylogowano" in run("logout").stdout
        assert not profile.exists()
        assert "Nie jesteś zalogowany" in run("cert", "limits", expect=ExitCode.LOCAL).stderr
        assert "Nie jesteś zalogowany" in run("logout", expect=ExitCode.LOCAL).stderr

    def test_a_new_login_ends_the_session_it_replaces(self, tmp_path: Path, ksef: str) -> None:
        import httpx

        self_signed_login("pierwszy")
        profile = tmp_path / "config" / "profiles" / "local.json"
        first = json.loads(profile.read_text())["tokens"]
        second_login = run("login", "--cert", "pierwszy.crt", "--key", "pierwszy.key", "--password-file", "haslo.txt")
        assert "Poprzednia sesja w tym środowisku została zakończona." in second_login.stdout
        second = json.loads(profile.read_text())["tokens"]
        assert second["refreshToken"] != first["refreshToken"]

        refresh = f"{ksef.removesuffix('/').removesuffix('/v2')}/v2/auth/token/refresh"
        ended = httpx.post(refresh, headers={"Authorization": f"Bearer {first['refreshToken']}"})
        assert ended.status_code == 400
        assert ended.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21301
        alive = httpx.post(refresh, headers={"Authorization": f"Bearer {second['refreshToken']}"})
        assert alive.status_code == 200

    def test_a_pesel_certificate_needs_a_context_and_works_with_a_test_person(self) -> None:
        pesel, nip = random_pesel(), generate_random_nip()
        run("cert", "self-signed", "osoba", "--pesel", pesel, "--password-file", "haslo.txt")
        login = ("login", "--cert", "osoba.crt", "--key", "osoba.key", "--password-file", "haslo.txt")
        assert "podaj kontekst logowania" in run(*login, expect=ExitCode.USAGE).stderr
        # No permissions in that context yet: KSeF ends the authentication with status 415.
        refused = run(*login, "--nip", nip, expect=ExitCode.REFUSED).stderr
        assert "415" in refused
        run("testdata", "person", "create", "--nip", nip, "--pesel", pesel)
        run(*login, "--nip", nip)
        assert f"PESEL {pesel}" in run("whoami").stdout

    def test_wrong_password_and_mismatched_files_are_refused_before_sending(self, tmp_path: Path) -> None:
        run("cert", "self-signed", "pierwszy", "--random-nip", "--password-file", "haslo.txt")
        run("cert", "self-signed", "drugi", "--random-nip", "--password-file", "haslo.txt")
        wrong = run(
            "login",
            "--cert",
            "pierwszy.crt",
            "--key",
            "pierwszy.key",
            input="Zle-haslo-1234567\n",
            expect=ExitCode.LOCAL,
        ).stderr
        assert "hasło" in wrong.lower()
        mismatch = run(
            "login",
            "--cert",
            "pierwszy.crt",
            "--key",
            "drugi.key",
            "--password-file",
            "haslo.txt",
            expect=ExitCode.LOCAL,
        ).stderr
        assert "nie pasuje" in mismatch
        assert not (tmp_path / "config" / "profiles" / "local.json").exists()

    def test_pkcs12_login(self) -> None:
        from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

        nip = generate_random_nip()
        run("cert", "self-signed", "pkcs12", "--nip", nip, "--password-file", "haslo.txt", "--rsa")
        key = load_private_key(Path("pkcs12.key").read_bytes(), PASSWORD)
        certificate = load_certificate(Path("pkcs12.crt").read_bytes())
        bundle = pkcs12.serialize_key_and_certificates(b"p", key, certificate, None, BestAvailableEncryption(b"p12!"))
        Path("p.p12").write_bytes(bundle)
        assert "Zalogowano" in run("login", "--pkcs12", "p.p12", input="p12!\n").stdout  # password asked for
        assert f"NIP {nip}" in run("whoami").stdout

    def test_a_blocked_context_refuses_the_login_until_unblocked(self) -> None:
        nip = generate_random_nip()
        run("cert", "self-signed", "kontekst", "--nip", nip, "--password-file", "haslo.txt")
        run("testdata", "context", "block", "--nip", nip)
        login = ("login", "--cert", "kontekst.crt", "--key", "kontekst.key", "--password-file", "haslo.txt")
        assert "480" in run(*login, expect=ExitCode.REFUSED).stderr
        run("testdata", "context", "unblock", "--nip", nip)
        run(*login)

    def test_base_url_of_another_server_needs_its_own_login(self) -> None:
        self_signed_login()
        other = run("cert", "limits", "--base-url", "http://127.0.0.1:9", expect=ExitCode.USAGE).stderr
        assert "jest zalogowany do" in other
        assert "--base-url http://127.0.0.1:9/v2" in other


@pytest.mark.usefixtures("ksef")
class TestRequest:
    def test_authentication_certificate_from_key_to_file(self, tmp_path: Path) -> None:
        self_signed_login()
        result = run("cert", "request", "Moj certyfikat", "--type", "authentication", "--password-file", "haslo.txt")
        out = result.stdout
        assert "pozostało 300 z 300" in out  # the limits are shown before sending
        assert out.index("Zapisano klucz prywatny") < out.index("Wysłano wniosek")  # the key is saved first
        assert "Co dalej" in out
        assert "ksef-mcu cert download" in out
        assert 'ksef-mcu login --cert "Moj certyfikat.crt" --key "Moj certyfikat.key"' in out

        key_file, certificate_file = Path("Moj certyfikat.key"), Path("Moj certyfikat.crt")
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert key_file.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
        assert certificate_file.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
        certificate = load_certificate(certificate_file.read_bytes())
        assert key_matches_certificate(load_private_key(key_file.read_bytes(), PASSWORD), certificate)
        assert classify_certificate(certificate) is KsefCertificateType.AUTHENTICATION

        [reference] = [line.split()[-1] for line in out.splitlines() if "numer referencyjny" in line]
        status = json.loads(run("cert", "status", reference, "--json").stdout)
        assert status["status"]["code"] == 200
        assert "200" in run("cert", "status", reference).stdout

        # The new certificate logs in; the subject (and its certificates) are the same.
        run("login", "--cert", str(certificate_file), "--key", str(key_file), "--password-file", "haslo.txt")
        [item] = listed()
        assert item["name"] == "Moj certyfikat"
        assert item["lastUseDate"] is not None

    def test_rsa_offline_certificate_valid_from_a_later_day(self) -> None:
        self_signed_login()
        later = _network.today() + dt.timedelta(days=3)
        request_certificate("Offline RSA", "offline", "--rsa", "--valid-from", later.isoformat())
        certificate = load_certificate(Path("Offline RSA.crt").read_bytes())
        assert classify_certificate(certificate) is KsefCertificateType.OFFLINE
        assert certificate.not_valid_before_utc == start_of_day(later)  # midnight in Poland
        assert certificate.not_valid_after_utc.year == later.year + 2
        assert "RSA" in run("cert", "inspect", "Offline RSA.crt").stdout

    def test_bad_input_is_refused_before_anything_is_written_or_sent(self, tmp_path: Path) -> None:
        self_signed_login()
        before = sorted(os.listdir())
        assert "od 5 do 50 znaków" in run("cert", "request", "Mój", "--type", "offline", expect=ExitCode.USAGE).stderr
        assert (
            "nie może być wcześniejsza"
            in run(
                "cert", "request", "Nazwa1", "--type", "offline", "--valid-from", "2020-01-01", expect=ExitCode.USAGE
            ).stderr
        )
        mismatch = run(
            "cert",
            "request",
            "Nazwa1",
            "--type",
            "offline",
            input=f"{PASSWORD}\nInne-haslo-12345\n",
            expect=ExitCode.CANCELLED,
        )
        assert "Hasła nie są zgodne" in mismatch.stderr
        weak = run(
            "cert", "request", "Nazwa2", "--type", "offline", input="krotkie\nkrotkie\n", expect=ExitCode.CANCELLED
        ).stderr
        assert "Hasło nie spełnia wymagań" in weak
        Path("Zajeta.crt").write_text("moje")
        assert "już istnieje" in run("cert", "request", "Zajeta", "--type", "offline", expect=ExitCode.LOCAL).stderr
        assert sorted(os.listdir()) == sorted([*before, "Zajeta.crt"])
        assert Path("Zajeta.crt").read_text() == "moje"

    def test_rejected_request_keeps_the_key_and_a_retry_can_reuse_it(self) -> None:
        self_signed_login("pierwszy")
        request_certificate("Klucz A", "authentication")
        # Another subject sends a CSR with the same public key: KSeF rejects it asynchronously (status 400).
        self_signed_login("drugi")
        result = run(
            "cert",
            "request",
            "Klucz B",
            "--type",
            "offline",
            "--key",
            "Klucz A.key",
            input=f"{PASSWORD}\n",
            expect=ExitCode.REFUSED,
        )
        assert "Wniosek odrzucony" in result.stderr
        assert "Klucz publiczny został już certyfikowany przez inny podmiot." in result.stderr
        # That key can never be certified for this subject: no retry with it is suggested, a new key is.
        assert '--key "Klucz A.key"' not in result.stderr
        assert "nie da się certyfikować dla Ciebie" in result.stderr
        assert 'ksef-mcu cert request "NOWA NAZWA" --type offline' in result.stderr
        assert not Path("Klucz B.crt").exists()
        assert Path("Klucz A.key").exists()
        # A retry with a key of one's own (generated earlier with `keys generate`) writes the certificate beside it.
        run("keys", "generate", "Klucz B", "--password-file", "haslo.txt")
        run("cert", "request", "Klucz B", "--type", "offline", "--key", "Klucz B.key", "--password-file", "haslo.txt")
        assert classify_certificate(load_certificate(Path("Klucz B.crt").read_bytes())) is KsefCertificateType.OFFLINE

    def test_an_exhausted_limit_stops_before_a_key_is_made(self) -> None:
        self_signed_login()
        run("testdata", "limits", "set", "--max-certificates", "0")
        shown = run("cert", "limits").stdout
        assert "pozostało 0 z 0" in shown
        assert "Wyczerpałeś limit certyfikatów" in shown
        assert json.loads(run("cert", "limits", "--json").stdout)["canRequest"] is False
        refused = run(
            "cert", "request", "Za duzo", "--type", "offline", "--password-file", "haslo.txt", expect=ExitCode.REFUSED
        )
        assert "Wyczerpałeś limit certyfikatów" in refused.stderr
        assert not Path("Za duzo.key").exists()
        run("testdata", "limits", "reset")
        assert json.loads(run("cert", "limits", "--json").stdout)["canRequest"] is True


@pytest.mark.usefixtures("ksef")
class TestListDownloadRevoke:
    def test_list_filters_download_and_revoke(self, tmp_path: Path) -> None:
        self_signed_login()
        authentication = request_certificate("Logowanie firmy", "authentication")
        offline = request_certificate("Faktury offline", "offline")

        assert {item["certificateSerialNumber"] for item in listed()} == {authentication, offline}
        assert [item["certificateSerialNumber"] for item in listed("--type", "offline")] == [offline]
        assert [item["name"] for item in listed("--name", "ogowanie")] == ["Logowanie firmy"]
        assert [item["certificateSerialNumber"] for item in listed("--serial", offline.lower())] == [offline]
        assert len(listed("--status", "active")) == 2
        assert listed("--status", "revoked") == []
        assert listed("--expires-after", "2099-01-01") == []
        assert len(listed("--expires-after", _network.today().isoformat())) == 2
        table = run("cert", "list").stdout
        assert "Logowanie firmy" in table
        assert "Aktywny" in table
        assert "\n2 certyfikaty\n" in table

        downloads = tmp_path / "pobrane"
        downloads.mkdir()
        saved = run("cert", "download", authentication, offline, "--out", str(downloads)).stdout
        assert "Zapisano" in saved
        assert sorted(os.listdir(downloads)) == ["Faktury offline.crt", "Logowanie firmy.crt"]
        assert Path("Faktury offline.crt").read_bytes() == (downloads / "Faktury offline.crt").read_bytes()
        again = run("cert", "download", offline, "--out", str(downloads), expect=ExitCode.LOCAL).stderr
        assert "już istnieje" in again
        assert "od 1 do 10" in run("cert", "download", *[f"{n:016X}" for n in range(11)], expect=ExitCode.USAGE).stderr
        assert "16 cyfr" in run("cert", "download", "xyz", expect=ExitCode.USAGE).stderr
        assert "Nie znaleziono" in run("cert", "download", "0123456789ABCDEF", expect=ExitCode.REFUSED).stderr

        kept = run("cert", "revoke", offline, input="n\n", expect=ExitCode.CANCELLED)
        assert "Nie unieważniono" in kept.stderr
        assert listed("--serial", offline)[0]["status"] == "Active"
        run("cert", "revoke", offline, "--reason", "superseded", input="może\nt\n")  # asked again until t/n
        assert listed("--serial", offline)[0]["status"] in ("Revoked", "Blocked")
        assert "unieważniony" in run("cert", "revoke", offline, "--yes", expect=ExitCode.REFUSED).stderr
        refused = run("cert", "download", offline, "--out", str(tmp_path), expect=ExitCode.REFUSED).stderr
        assert "jest unieważniony" in refused
        assert "tylko aktywny" in refused
        assert not (tmp_path / "Faktury offline.crt").exists()


@pytest.mark.usefixtures("ksef")
class TestTestData:
    def test_subjects_persons_and_permissions(self) -> None:
        group_nip, unit_nip, person_nip = (generate_random_nip() for _ in range(3))
        pesel = random_pesel()
        run("testdata", "subject", "create", group_nip, "--type", "vat-group", "--subunit", f"{unit_nip}=Członek grupy")
        assert (
            "30001" in run("testdata", "subject", "create", group_nip, "--type", "jst", expect=ExitCode.REFUSED).stderr
        )
        run("testdata", "subject", "remove", group_nip)
        run("testdata", "person", "create", "--nip", person_nip, "--pesel", pesel, "--bailiff")
        run(
            "testdata",
            "permissions",
            "grant",
            "--context-nip",
            person_nip,
            "--nip",
            unit_nip,
            "--permission",
            "invoice-read",
        )
        run("testdata", "permissions", "revoke", "--context-nip", person_nip, "--nip", unit_nip)
        run("testdata", "person", "remove", person_nip)
        assert "cyfra kontrolna" in run("testdata", "person", "remove", "1234567890", expect=ExitCode.USAGE).stderr
        assert (
            "nie w prod"
            in run("testdata", "person", "remove", person_nip, "--env", "prod", expect=ExitCode.USAGE).stderr
        )


def test_ca_export_from_a_running_server(ksef: str, server_keys: ServerKeys) -> None:
    import httpx
    from cryptography import x509

    served = httpx.get(f"{ksef}/ca/certificate", timeout=10).content
    assert run("ca", "export", "--url", ksef).stdout.encode() == served
    assert run("ca", "export", "--url", f"{ksef}/v2/").stdout.encode() == served  # the API address works too
    [root] = x509.load_pem_x509_certificates(run("ca", "export", "--url", ksef, "--root").stdout.encode())
    assert root.subject == root.issuer
    assert not Path("data").exists()  # nothing was created where the command ran


@pytest.mark.usefixtures("ksef")
class TestConveniences:
    def test_enrollment_data_feeds_csr_create(self) -> None:
        self_signed_login("logowanie")
        run("cert", "enrollment-data", "-o", "dane/data.json")
        document = json.loads(Path("dane/data.json").read_text(encoding="utf-8"))
        assert document["countryName"] == "PL"
        assert json.loads(run("cert", "enrollment-data").stdout) == document  # to the screen by default
        assert "już istnieje" in run("cert", "enrollment-data", "-o", "dane/data.json", expect=ExitCode.LOCAL).stderr
        run("keys", "generate", "Moj klucz", "--password-file", "haslo.txt")
        created = run(
            "csr", "create", "--key", "Moj klucz.key", "--enrollment-data", "dane/data.json", "--password-file",
            "haslo.txt",
        ).stdout  # fmt: skip
        assert f"serialNumber={document['serialNumber']}" in created
        assert Path("Moj klucz.csr").exists()

    def test_export_p12_makes_one_file_that_logs_in(self) -> None:
        nip = self_signed_login("logowanie")
        run("logout")
        made = run("cert", "export-p12", "--cert", "logowanie.crt", "--key", "logowanie.key", "--password-file",
                   "haslo.txt").stdout  # fmt: skip
        assert "logowanie.p12" in made
        assert stat.S_IMODE(os.stat("logowanie.p12").st_mode) == 0o600
        run("login", "--pkcs12", "logowanie.p12", "--password-file", "haslo.txt")
        assert f"NIP {nip}" in run("whoami").stdout
        again = run("cert", "export-p12", "--cert", "logowanie.crt", "--key", "logowanie.key", expect=ExitCode.LOCAL)
        assert "już istnieje" in again.stderr

    def test_localhost_is_the_same_server_as_127_0_0_1(self, ksef: str, monkeypatch: pytest.MonkeyPatch) -> None:
        assert ksef.startswith("http://127.0.0.1:")
        monkeypatch.setenv("KSEF_MCU_API_URL", ksef.replace("127.0.0.1", "localhost"))
        self_signed_login("logowanie")  # through localhost
        assert json.loads(run("whoami", "--json").stdout)["baseUrl"] == f"{ksef}/v2"
        run("cert", "limits")
        monkeypatch.setenv("KSEF_MCU_API_URL", ksef)
        run("cert", "limits")  # the same login, whichever spelling
