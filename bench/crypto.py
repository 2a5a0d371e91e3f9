"""Benchmark of the crypto core: prints median timings (milliseconds) of the operations users wait for.

Run: `make bench` (or `.venv/bin/python bench/crypto.py [--rounds N]`).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from ksef_mcu.crypto.keys import KeyKind, encrypt_private_key, generate_private_key, load_private_key

PASSWORD = "Benchmark!Haslo123"


def median_ms(operation: Callable[[], object], rounds: int) -> float:
    """Median wall time of `operation` over `rounds` runs, in milliseconds."""
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        operation()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20, help="runs per measurement (default 20)")
    rounds = parser.parse_args().rounds

    rows: list[tuple[str, float]] = []
    for kind in KeyKind:
        rows.append((f"key generation {kind.label}", median_ms(lambda kind=kind: generate_private_key(kind), rounds)))
    for kind in KeyKind:
        key = generate_private_key(kind)
        rows.append(
            (
                f"key file write+read {kind.label}",
                median_ms(lambda key=key: load_private_key(encrypt_private_key(key, PASSWORD), PASSWORD), rounds),
            )
        )
    width = max(len(name) for name, _ in rows)
    print(f"{'operation':<{width}}  median ms ({rounds} rounds)")
    for name, value in rows:
        print(f"{name:<{width}}  {value:10.3f}")


if __name__ == "__main__":
    main()
