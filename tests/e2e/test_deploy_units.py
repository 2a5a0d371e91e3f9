"""The systemd units of docs/deploy.md (`deploy/systemd/`) are the tested example: `systemd-analyze verify` accepts
them, and their own `ExecStart` lines with their environment file — two API instances and two workers on one
PostgreSQL — serve logins and issue certificates, and stop cleanly on the `KillSignal` they name."""

from __future__ import annotations

import configparser
import os
import shlex
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from test_certificate_processes import enrollment_body, owner_token, wait_until_final

from support.login import bearer
from support.processes import KSEF_MCU, free_port
from support.server import temporary_database

pytestmark = [pytest.mark.e2e, pytest.mark.anyio, pytest.mark.db]

UNITS = Path(__file__).resolve().parents[2] / "deploy" / "systemd"
INSTALLED_BINARY = "/opt/ksef-mcu/venv/bin/ksef-mcu"


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(UNITS / name)
    return parser


def environment_file() -> dict[str, str]:
    values = {}
    for line in (UNITS / "ksef-mcu.env").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def test_units_pass_systemd_analyze(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    for name in ("ksef-mcu-api@.service", "ksef-mcu-worker@.service"):
        text = (UNITS / name).read_text().replace(INSTALLED_BINARY, str(KSEF_MCU))
        # `verify` needs an instance name, and an EnvironmentFile that exists.
        text = text.replace("/etc/ksef-mcu/ksef-mcu.env", str(UNITS / "ksef-mcu.env"))
        instance = tmp_path / name.replace("@.", "@8001.")
        instance.write_text(text)
        result = subprocess.run(
            [analyze, "verify", "--man=no", str(instance)], capture_output=True, text=True, check=False, timeout=60
        )
        # It exits 0 even for unknown keys or bad values (it ignores them): any line it prints is a problem.
        assert result.returncode == 0, result.stdout + result.stderr
        assert (result.stdout + result.stderr).strip() == ""


class Started:
    def __init__(self, command: list[str], environment: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("ab") as handle:
            self.process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, env=environment)

    def stop(self, kill_signal: str) -> int:
        self.process.send_signal(getattr(signal, kill_signal))
        return self.process.wait(timeout=60)


def exec_start(name: str, instance: str) -> tuple[list[str], str]:
    service = unit(name)["Service"]
    command = shlex.split(service["ExecStart"].replace("%i", instance))
    assert command[0] == INSTALLED_BINARY
    return [str(KSEF_MCU), *command[1:]], service["KillSignal"]


@pytest.fixture
def postgres_url(tmp_path: Path) -> Iterator[str]:
    if not os.environ.get("KSEF_MCU_TEST_POSTGRES_URL"):
        pytest.skip("KSEF_MCU_TEST_POSTGRES_URL is not set: the units run N API processes on PostgreSQL")
    with temporary_database("postgresql", tmp_path) as url:
        yield url


async def test_units_run_two_api_processes_and_two_workers(tmp_path: Path, postgres_url: str) -> None:
    secret = tmp_path / "etc" / "secret"
    secret.parent.mkdir()
    secret.write_text("a-passphrase-from-the-secret-store\n")
    secret.chmod(0o600)
    environment = {key: value for key, value in os.environ.items() if not key.startswith("KSEF_MCU_")}
    environment.update(environment_file())
    # The production host's paths and mode; everything else is the file's own.
    environment.update(
        KSEF_MCU_DATA_DIR=str(tmp_path / "var"),
        KSEF_MCU_DATABASE_URL=postgres_url,
        KSEF_MCU_SECRET_FILE=str(secret),
        KSEF_MCU_MODE="sandbox",
        KSEF_MCU_RATE_LIMITS_ENABLED="false",
    )
    ports = [str(free_port()), str(free_port())]
    started: list[tuple[Started, str]] = []
    try:
        for port in ports:
            command, kill = exec_start("ksef-mcu-api@.service", port)
            started.append((Started(command, environment, tmp_path / f"api-{port}.log"), kill))
            deadline = time.monotonic() + 90
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, started[-1][0].log.read_text()
                time.sleep(0.2)
        for instance in ("1", "2"):
            command, kill = exec_start("ksef-mcu-worker@.service", instance)
            started.append((Started(command, environment, tmp_path / f"worker-{instance}.log"), kill))

        first, second = (httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) for port in ports)
        async with first, second:
            token, data = await owner_token(first)
            references = []
            for index in range(10):
                response = await (first if index % 2 else second).post(
                    "/v2/certificates/enrollments", json=enrollment_body(data, index), headers=bearer(token)
                )
                assert response.status_code == 202, response.text
                references.append(response.json()["referenceNumber"])
            final = await wait_until_final(second, token, references, timeout=120)
            assert {body["status"]["code"] for body in final.values()} == {200}
            # Behind the proxy named in the file (127.0.0.1), the forwarded client address is the one logged in.
            challenge = await first.post("/v2/auth/challenge", headers={"X-Forwarded-For": "198.51.100.23"})
            assert challenge.json()["clientIp"] == "198.51.100.23"
    finally:
        codes = [
            (process.stop(kill) if process.process.poll() is None else process.process.returncode)
            for process, kill in started
        ]
    assert all(code in (0, -signal.SIGTERM) for code in codes), codes
    for process, _ in started:
        assert "Traceback" not in process.log.read_text(), process.log.read_text()
