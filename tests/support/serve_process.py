"""`ksef-mcu serve` as a real process on a free port with its own data directory, for end-to-end tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from support.live_server import free_port

KSEF_MCU = Path(sys.executable).with_name("ksef-mcu")


def clean_environment(**extra: str) -> dict[str, str]:
    """The test process's environment without any `KSEF_MCU_*` setting (plus `extra`)."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("KSEF_MCU_")}
    environment.update(extra)
    return environment


@contextmanager
def ksef_mcu_serve(data_dir: Path, *extra: str) -> Iterator[str]:
    """Start `ksef-mcu serve` (SQLite in `data_dir`), wait until healthy, yield `http://127.0.0.1:PORT`, stop it with
    SIGTERM and check it shut down cleanly."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir.parent / f"server-{port}.log"
    command = [str(KSEF_MCU), "serve", "--host", "127.0.0.1", "--port", str(port), "--data-dir", str(data_dir), *extra]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=clean_environment())
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise AssertionError(f"ksef-mcu serve exited early:\n{log_path.read_text()}")
            try:
                if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"ksef-mcu serve did not become healthy:\n{log_path.read_text()}")
            time.sleep(0.1)
        yield base_url
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
        log_text = log_path.read_text()
        assert code in (0, -signal.SIGTERM), log_text
        assert "Traceback" not in log_text, log_text
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
