"""Benchmark: login and issuance throughput against the number of API processes and workers (1, 2, 4), on
PostgreSQL, plotted as `docs/scaling.png`, each figure also as a ratio to raw OpenSSL signing measured in the same
run (ECDSA P-256 signatures per second on one core, through `cryptography`).

- logins/s: `bench/auth.py`'s load (16 concurrent full XAdES logins) against `serve --workers N`, N = 1, 2, 4;
- certificates/s: `bench/issuance.py`'s load (50 clients enrolling and polling) against `serve --workers N` that
  only answers HTTP plus N `ksef-mcu worker` processes, N = 1, 2, 4.

The machine has 2 cores, shared: 4 processes cannot be faster than 2 here; the plot shows where the curve bends. The
load average at each point is printed beside it.

Run: `.venv/bin/python bench/scaling.py [--logins 1500] [--count 1000] [--out docs/scaling.png]`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import auth as login_bench
import issuance as issuance_bench
from support.databases import scratch_postgres_database
from support.processes import Serve

COUNTS = (1, 2, 4)


def raw_signing_rate(seconds: float = 1.0) -> float:
    """ECDSA P-256 (SHA-256) signatures per second on one core: the median of three one-second runs."""
    key = ec.generate_private_key(ec.SECP256R1())
    message = b"x" * 64
    rates = []
    for _ in range(3):
        count, started = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - started) < seconds:
            for _ in range(100):
                key.sign(message, ec.ECDSA(hashes.SHA256()))
            count += 100
        rates.append(count / elapsed)
    return statistics.median(rates)


def logins(postgres_url: str, processes: int, count: int) -> float:
    with (
        tempfile.TemporaryDirectory() as scratch,
        scratch_postgres_database(postgres_url, prefix="ksef_mcu_bench") as url,
    ):
        server = Serve(
            Path(scratch) / "data",
            url,
            "--workers",
            str(processes),
            "--log-level",
            "warning",
            rate_limits_enabled="false",
        )
        try:
            result = login_bench.measure(server.base_url, clients=16, logins=count, processes=1)
        finally:
            server.terminate()
    assert not result.errors, result.errors[:3]
    return result.logins / result.elapsed


def issuance(postgres_url: str, processes: int, count: int) -> float:
    arguments = argparse.Namespace(clients=50, count=count, poll_ms=25.0, api_processes=processes)
    with scratch_postgres_database(postgres_url, prefix="ksef_mcu_bench") as url:
        result = issuance_bench.measure(url, workers=processes, in_process=False, args=arguments)
    return result.rate


def plot(points: dict[str, dict[int, float]], loads: dict[str, dict[int, float]], raw: float, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(10, 4), dpi=100)
    for axis, (label, series) in zip(axes, points.items(), strict=True):
        xs = sorted(series)
        axis.plot(xs, [series[x] for x in xs], marker="o", color="#1f5f8b")
        for x in xs:
            axis.annotate(
                f"{series[x]:.0f}\n({series[x] / raw:.4f}× raw)\nload {loads[label][x]:.1f}",
                (x, series[x]),
                textcoords="offset points",
                xytext=(0, 8),
                ha="center",
                fontsize=8,
            )
        axis.set_xticks(list(COUNTS))
        axis.set_xlabel("API processes" + (" and workers (each)" if "cert" in label else ""))
        axis.set_ylabel(label)
        axis.set_ylim(0, max(series.values()) * 1.35)
        axis.grid(alpha=0.3)
    figure.suptitle(
        f"ksef-mcu on PostgreSQL, 2 shared cores ({datetime.now(UTC):%Y-%m-%d}); "
        f"raw OpenSSL ECDSA P-256 signing: {raw:.0f}/s per core"
    )
    figure.tight_layout()
    figure.savefig(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("KSEF_MCU_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument("--logins", type=int, default=1500)
    parser.add_argument("--count", type=int, default=1000, help="certificates per point")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "docs" / "scaling.png")
    arguments = parser.parse_args()

    raw_before = raw_signing_rate()
    print(f"raw OpenSSL ECDSA P-256 signing: {raw_before:.0f}/s (load average {os.getloadavg()[0]:.2f})", flush=True)
    points: dict[str, dict[int, float]] = {"logins/s": {}, "certificates/s": {}}
    loads: dict[str, dict[int, float]] = {"logins/s": {}, "certificates/s": {}}
    for processes in COUNTS:
        rate = logins(arguments.postgres_url, processes, arguments.logins)
        points["logins/s"][processes] = rate
        loads["logins/s"][processes] = os.getloadavg()[0]
        print(
            f"logins, {processes} API processes: {rate:7.1f}/s  ({rate / raw_before:.4f}× raw signing; "
            f"load average {os.getloadavg()[0]:.2f})",
            flush=True,
        )
    for processes in COUNTS:
        rate = issuance(arguments.postgres_url, processes, arguments.count)
        points["certificates/s"][processes] = rate
        loads["certificates/s"][processes] = os.getloadavg()[0]
        print(
            f"issuance, {processes} API processes + {processes} workers: {rate:7.1f} cert/s  "
            f"({rate / raw_before:.4f}× raw signing; load average {os.getloadavg()[0]:.2f})",
            flush=True,
        )
    raw_after = raw_signing_rate()
    print(f"raw OpenSSL ECDSA P-256 signing after the run: {raw_after:.0f}/s", flush=True)
    plot(points, loads, (raw_before + raw_after) / 2, arguments.out)
    print(f"plotted: {arguments.out}")


if __name__ == "__main__":
    main()
