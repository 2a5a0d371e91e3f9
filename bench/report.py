"""Run the benchmarks one after another with the yardstick around them: raw OpenSSL signing (ECDSA P-256 signatures
per second on one core, through `cryptography`), measured before and after each script, with the date, the machine
and the load average — what docs/performance.md quotes, each figure beside its ratio to raw signing in the same run.

Run: `.venv/bin/python bench/report.py [SCRIPT ARGS…]…` with each benchmark as one quoted argument, e.g.
`.venv/bin/python bench/report.py "bench/auth.py --backend sqlite --logins 1500" "bench/query_scale.py"`; without
arguments it runs `bench/crypto.py`, `bench/xades.py`, `bench/cli_startup.py`, `bench/auth.py`, `bench/issuance.py`,
`bench/qr_pages.py --pages-only`, `bench/query_scale.py` and `bench/scaling.py`. The output goes to standard output.
"""

from __future__ import annotations

import os
import platform
import shlex
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = [
    "bench/crypto.py",
    "bench/xades.py",
    "bench/cli_startup.py",
    "bench/auth.py --backend both --workers 1 --workers 2 --logins 1500",
    "bench/issuance.py --count 1000",
    "bench/qr_pages.py --pages-only",
    "bench/query_scale.py --repeat 200 --explain",
    "bench/scaling.py",
]


def raw_signing_rate() -> float:
    """ECDSA P-256 (SHA-256) signatures per second on one core, the best of three one-second runs."""
    key = ec.generate_private_key(ec.SECP256R1())
    best = 0.0
    for _ in range(3):
        count, started = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - started) < 1.0:
            for _ in range(50):
                key.sign(b"x" * 64, ec.ECDSA(hashes.SHA256()))
            count += 50
        best = max(best, count / elapsed)
    return best


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    memory = next(
        line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    return f"{os.cpu_count()} × {model}, {int(memory) // 1024 // 1024} GiB, Python {platform.python_version()}"


def main() -> None:
    scripts = sys.argv[1:] or DEFAULT
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {machine()}", flush=True)
    for script in scripts:
        before = raw_signing_rate()
        load = os.getloadavg()[0]
        print(f"\n=== {script}   [raw signing {before:.0f}/s; load average {load:.2f}]", flush=True)
        subprocess.run([sys.executable, *shlex.split(script)], cwd=ROOT, check=False)
        after = raw_signing_rate()
        print(f"=== end of {script}   [raw signing {after:.0f}/s; load average {os.getloadavg()[0]:.2f}]", flush=True)


if __name__ == "__main__":
    main()
