"""Real `ksef-mcu serve` / `ksef-mcu worker` processes for end-to-end tests and benchmarks."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

KSEF_MCU = Path(sys.executable).with_name("ksef-mcu")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def clean_environment(**overrides: str) -> dict[str, str]:
    """The current environment without any KSEF_MCU_* variable (but the CLI's language, which is not a setting),
    plus `overrides` (names without the prefix)."""
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("KSEF_MCU_") or key == "KSEF_MCU_LANG"
    }
    environment.update({f"KSEF_MCU_{key.upper()}": value for key, value in overrides.items()})
    return environment


class Process:
    """A `ksef-mcu` child process writing to a log file."""

    def __init__(self, arguments: list[str], log: Path, environment: dict[str, str]) -> None:
        self.log = log
        with log.open("ab") as handle:
            self.process = subprocess.Popen(
                [str(KSEF_MCU), *arguments], stdout=handle, stderr=subprocess.STDOUT, env=environment
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to clean up."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def terminate(self, *, timeout: float = 60) -> int:
        """SIGTERM and wait; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)


class Serve(Process):
    """`ksef-mcu serve` on a free port; waits until `/healthz` answers."""

    def __init__(self, data_dir: Path, database_url: str, *extra: str, **settings: str) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        arguments = ["serve", "--host", "127.0.0.1", "--port", str(self.port), "--data-dir", str(data_dir)]
        arguments += ["--database-url", database_url, *extra]
        super().__init__(arguments, data_dir.parent / f"serve-{self.port}.log", clean_environment(**settings))
        self._wait_until_healthy()

    def _wait_until_healthy(self) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the server exited early:\n{self.output()}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"the server did not become healthy:\n{self.output()}")

    def stop(self) -> None:
        """SIGTERM, then check that the app shut down cleanly (uvicorn re-raises the signal after draining)."""
        code = self.terminate(timeout=30)
        log = self.output()
        assert code in (0, -signal.SIGTERM), log
        assert "Application shutdown complete." in log, log
        assert "Traceback" not in log, log


@contextmanager
def serving(data_dir: Path, *extra: str, **settings: str) -> Iterator[str]:
    """`ksef-mcu serve` with SQLite in `data_dir`: yields its base URL, then stops it and checks the clean shutdown
    (a process that failed the test is killed instead)."""
    server = Serve(data_dir, f"sqlite:///{data_dir / 'ksef-mcu.sqlite3'}", *extra, **settings)
    try:
        yield server.base_url
        server.stop()
    finally:
        if server.process.poll() is None:
            server.kill()


class Worker(Process):
    """`ksef-mcu worker`."""

    def __init__(self, data_dir: Path, database_url: str, name: str, **settings: str) -> None:
        arguments = ["worker", "--data-dir", str(data_dir), "--database-url", database_url]
        super().__init__(arguments, data_dir.parent / f"worker-{name}.log", clean_environment(**settings))
        deadline = time.monotonic() + 60
        while "issuance worker" not in self.output():
            if self.process.poll() is not None:
                raise AssertionError(f"the worker exited early:\n{self.output()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"the worker did not start:\n{self.output()}")
            time.sleep(0.1)
