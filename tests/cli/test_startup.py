"""Start-up: building the `ksef-mcu` command and showing a command's help or a usage error imports none of the heavy
stack (the timing itself is measured by bench/cli_startup.py, never by a test)."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = (
    "httpx",
    "cryptography",
    "pydantic",
    "sqlalchemy",
    "lxml",
    "segno",
    "uvicorn",
    "fastapi",
    "asyncio",
    "rich.console",
    "ksef_mcu.client",
    "ksef_mcu.crypto",
    "ksef_mcu.server",
)
PROBE = """
import sys
from ksef_mcu.cli import main
sys.argv = ["ksef-mcu", *{arguments!r}]
try:
    main()
except SystemExit:
    pass
print("LOADED", sorted(name for name in {heavy!r} if name in sys.modules))
"""


@pytest.mark.parametrize(
    "arguments",
    [["--help"], ["cert", "request", "--help"], ["keys", "generate", "-h"], ["cert", "-h"], ["--version"]],
    ids=" ".join,
)
def test_no_heavy_import_before_a_command_runs(arguments: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(arguments=arguments, heavy=HEAVY)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    [line] = [line for line in result.stdout.splitlines() if line.startswith("LOADED")]
    assert line == "LOADED []"


def test_a_command_that_runs_still_gets_what_it_needs(tmp_path: object) -> None:
    probe = PROBE.replace("except SystemExit:\n    pass", "except SystemExit as exit:\n    print('EXIT', exit.code)")
    result = subprocess.run(
        [sys.executable, "-c", probe.format(arguments=["cert", "inspect", "brak.crt"], heavy=HEAVY)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "EXIT 3" in result.stdout  # the missing file is reported through the lazily imported modules
