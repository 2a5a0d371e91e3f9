"""Shared test configuration."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

POSTGRES_URL_VARIABLE = "KSEF_MCU_TEST_POSTGRES_URL"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=("sqlite", "postgresql", "all"),
        default=None,
        help=(
            "database backends for tests marked `db`: default is sqlite, plus postgresql when "
            f"{POSTGRES_URL_VARIABLE} is set"
        ),
    )


def database_backends(config: pytest.Config) -> list[str]:
    """Backends the `db` tests run on, from `--db` and the environment."""
    choice = config.getoption("--db")
    has_postgres = bool(os.environ.get(POSTGRES_URL_VARIABLE))
    if choice == "sqlite":
        return ["sqlite"]
    if choice == "postgresql":
        if not has_postgres:
            raise pytest.UsageError(f"--db=postgresql needs {POSTGRES_URL_VARIABLE}")
        return ["postgresql"]
    return ["sqlite", "postgresql"] if has_postgres else ["sqlite"]


RESEARCH_VECTORS = Path("research") / "official-clients-vectors.json"


def find_shared_dir() -> Path | None:
    """`KSEF_MCU_SHARED_DIR`, else the nearest `shared/` beside an ancestor of this repository that has ksef-docs."""
    if configured := os.environ.get("KSEF_MCU_SHARED_DIR"):
        return Path(configured)
    for ancestor in Path(__file__).resolve().parents:
        candidate = ancestor / "shared"
        if (candidate / "ksef-docs").is_dir():
            return candidate
    return None


@pytest.fixture(scope="session")
def official_vectors() -> dict[str, Any]:
    """The official KSeF clients' test vectors (KOD I, KOD II, key-file parameters) from the shared research."""
    shared = find_shared_dir()
    if shared is None or not (shared / RESEARCH_VECTORS).is_file():
        pytest.skip(f"the shared research folder with {RESEARCH_VECTORS} is not available")
    with (shared / RESEARCH_VECTORS).open(encoding="utf-8") as handle:
        vectors: dict[str, Any] = json.load(handle)
    return vectors
