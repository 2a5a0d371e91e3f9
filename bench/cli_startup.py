"""Benchmark of the command line's start-up: median wall time of a whole `ksef-mcu` process (seconds).

What a person waits for before anything happens: `ksef-mcu --help` and a command's help (the target), and — for
information — a command that fails at once on a usage error (Typer parses option values with pydantic, so that costs
more). The target is under 0.3 s; the heavy stack (httpx, cryptography,
pydantic, SQLAlchemy, the client, crypto and server packages) is imported only by a command that runs
(`ksef_mcu.cli._lazy`). For reference, the same process importing the client shows what lazy imports save.

The figures come from a machine shared with other work: read them as an order of magnitude, compare runs made
one after the other, and prefer the median of many runs (`--runs`).

Run: `.venv/bin/python bench/cli_startup.py [--runs N]`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

KSEF_MCU = Path(sys.executable).with_name("ksef-mcu")
TARGET_SECONDS = 0.3
CASES: list[tuple[str, list[str]]] = [
    ("ksef-mcu --help", [str(KSEF_MCU), "--help"]),
    ("ksef-mcu cert request --help", [str(KSEF_MCU), "cert", "request", "--help"]),
    ("ksef-mcu keys generate -h", [str(KSEF_MCU), "keys", "generate", "-h"]),
    ("ksef-mcu cert request X (usage error, informative)", [str(KSEF_MCU), "cert", "request", "X"]),
    ("python -c 'import ksef_mcu.client' (reference)", [sys.executable, "-c", "import ksef_mcu.client"]),
]


def median_seconds(command: list[str], runs: int) -> float:
    """Median wall time of `command` as a new process over `runs` runs (after one warm-up run)."""
    environment = {**os.environ, "KSEF_MCU_LANG": "pl", "COLUMNS": "120"}
    subprocess.run(command, capture_output=True, check=False, env=environment)
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=False, env=environment)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs per command (default 15)")
    runs = parser.parse_args().runs
    width = max(len(name) for name, _ in CASES)
    print(f"{'command':<{width}}  {'median s':>9}  (runs: {runs}; target < {TARGET_SECONDS} s; shared machine)")
    for name, command in CASES:
        seconds = median_seconds(command, runs)
        verdict = "" if name.endswith(("(reference)", "informative)")) else "ok" if seconds < TARGET_SECONDS else "SLOW"
        print(f"{name:<{width}}  {seconds:9.3f}  {verdict}")


if __name__ == "__main__":
    main()
