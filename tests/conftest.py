"""Shared test configuration."""

from __future__ import annotations

import os

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
