"""`--out` means a folder in every command (created when missing, private when it will hold a key); files are never
overwritten unasked (`--force`, or another name with `--name`); a file name never comes from an unchecked name."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from cli.scripted import SERIAL, certificate_for, logged_in, retrieved, run
from client.fakes import FakeKsef, list_item, ok
from ksef_mcu.cli._common import ExitCode
from ksef_mcu.crypto.certificates import load_certificate
from ksef_mcu.crypto.keys import generate_private_key

SECOND = "0123456789ABCDE0"


def serve_certificate(fake: FakeKsef, name: str, serial: str = SERIAL) -> bytes:
    """KSeF lists and returns one Active certificate called `name`; its PEM."""
    fake.on("POST", "/certificates/query", ok({"certificates": [list_item(serial, name=name)], "hasMore": False}))
    answer = retrieved(certificate_for(generate_private_key()), name)
    answer["certificates"][0]["certificateSerialNumber"] = serial
    fake.on("POST", "/certificates/retrieve", ok(answer))
    return load_certificate_pem(answer)


def load_certificate_pem(answer: dict[str, list[dict[str, str]]]) -> bytes:
    import base64

    from cryptography.hazmat.primitives.serialization import Encoding

    der = base64.b64decode(answer["certificates"][0]["certificate"])
    return load_certificate(der).public_bytes(Encoding.PEM)


class TestDownload:
    def test_out_is_a_folder_created_when_missing(self, fake: FakeKsef) -> None:
        logged_in()
        pem = serve_certificate(fake, "Moj certyfikat")
        run("cert", "download", SERIAL, "--out", "pobrane/2026")
        assert Path("pobrane/2026/Moj certyfikat.crt").read_bytes() == pem

    def test_an_existing_file_is_kept_and_the_way_out_is_named(self, fake: FakeKsef) -> None:
        logged_in()
        pem = serve_certificate(fake, "Moj certyfikat")
        Path("Moj certyfikat.crt").write_text("moje")
        error = run("cert", "download", SERIAL, expect=ExitCode.LOCAL).stderr
        assert "już istnieje" in error
        assert "--force" in error
        assert "--name" in error
        assert Path("Moj certyfikat.crt").read_text() == "moje"
        assert not fake.calls("POST", "/certificates/retrieve")  # refused before downloading

        run("cert", "download", SERIAL, "--name", "Kopia certyfikatu")
        assert Path("Kopia certyfikatu.crt").read_bytes() == pem
        assert Path("Moj certyfikat.crt").read_text() == "moje"

        run("cert", "download", SERIAL, "--force")
        assert Path("Moj certyfikat.crt").read_bytes() == pem
        assert stat.S_IMODE(os.stat("Moj certyfikat.crt").st_mode) == 0o644

    def test_name_is_for_one_certificate_and_follows_the_rule(self, fake: FakeKsef) -> None:
        logged_in()
        serve_certificate(fake, "Moj certyfikat")
        assert (
            "jednego certyfikatu"
            in run("cert", "download", SERIAL, SECOND, "--name", "Wspolna", expect=ExitCode.USAGE).stderr
        )
        assert "od 5 do 50 znaków" in run("cert", "download", SERIAL, "--name", "abc", expect=ExitCode.USAGE).stderr
        assert not fake.calls("POST", "/certificates/retrieve")

    @pytest.mark.parametrize("name", ["  spacje  ", "Zażółć gęślą jaźń", "x" * 80])
    def test_a_name_the_guide_forbids_never_names_a_file(self, fake: FakeKsef, name: str) -> None:
        logged_in()
        pem = serve_certificate(fake, name)
        result = run("cert", "download", SERIAL)
        assert Path(f"{SERIAL}.crt").read_bytes() == pem
        assert sorted(p for p in os.listdir() if p.endswith(".crt")) == [f"{SERIAL}.crt"]
        assert "nie nadaje się na nazwę pliku" in result.stdout
        assert "--name" in result.stdout


class TestSelfSigned:
    def test_name_is_an_argument_and_out_a_folder(self, fake: FakeKsef) -> None:
        run("cert", "self-signed", "logowanie-testowe", "--random-nip", "--out", "klucze", "--password-file",
            "haslo.txt")  # fmt: skip
        assert Path("klucze/logowanie-testowe.crt").exists()
        assert Path("klucze/logowanie-testowe.key").exists()
        assert stat.S_IMODE(os.stat("klucze").st_mode) == 0o700

    def test_the_name_follows_the_rule(self, fake: FakeKsef) -> None:
        error = run("cert", "self-signed", "../poza", "--random-nip", "--password-file", "haslo.txt",
                    expect=ExitCode.USAGE).stderr  # fmt: skip
        assert "niedozwolone" in error
        assert not Path("../poza.key").exists()


def test_csr_out_is_a_folder_too(fake: FakeKsef, tmp_path: Path) -> None:
    import json

    run("keys", "generate", "Moj klucz", "--password-file", "haslo.txt")
    Path("dane.json").write_text(json.dumps({"commonName": "Jan", "countryName": "PL"}))
    run("csr", "create", "--key", "Moj klucz.key", "--enrollment-data", "dane.json", "--password-file", "haslo.txt",
        "--out", "wnioski")  # fmt: skip
    assert Path("wnioski/Moj klucz.csr").exists()


def test_qr_writes_an_image_with_output(fake: FakeKsef) -> None:
    result = run("qr", "invoice", "--hash", "A" * 43, "--nip", "5265877635", "--date", "2026-03-02", "-o",
                 "kody/kod1.png")  # fmt: skip
    assert Path("kody/kod1.png").read_bytes().startswith(b"\x89PNG")
    assert "kody/kod1.png" in result.stdout
    assert "Nieznana opcja --out" in run("qr", "invoice", "--out", "k.png", expect=ExitCode.USAGE).stderr
