"""Shared test configuration."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

if TYPE_CHECKING:
    from fastapi import FastAPI

    from ksef_mcu.clock import ManualClock
    from ksef_mcu.server.keys import ServerKeys
    from ksef_mcu.server.settings import ServerSettings
    from ksef_mcu.storage.database import Database

POSTGRES_URL_VARIABLE = "KSEF_MCU_TEST_POSTGRES_URL"

# The CLI speaks English under an English locale (LANG=en_US…); the tests read its Polish, whatever the machine's.
os.environ["KSEF_MCU_LANG"] = "pl"


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


# --- databases (tests marked `db`) ----------------------------------------------------------------------------------
# Every test that asks for `db_backend` (directly or through `database`, `app`, `client`, …) runs once per backend from
# `database_backends`, and is marked `db` so `-m db` selects it. One database per backend and test session is created
# and migrated once; each test starts from empty tables (truncated, which is much faster than re-creating).


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "db_backend" in metafunc.fixturenames:
        metafunc.parametrize("db_backend", database_backends(metafunc.config), scope="session")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "db_backend" in getattr(item, "fixturenames", ()) and item.get_closest_marker("db") is None:
            item.add_marker(pytest.mark.db)


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


from support.server import (  # noqa: E402 - after the options, like the fixtures that use them
    TEST_START,
    ContractChecker,
    running,
    temporary_database,
)


@pytest.fixture(scope="session")
def database_url(db_backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The session's database for `db_backend`, migrated to the newest schema once."""
    from ksef_mcu.server.migrations import upgrade_database
    from ksef_mcu.storage.database import Database

    with temporary_database(db_backend, tmp_path_factory.mktemp("sqlite")) as url:
        database = Database.from_url(url)
        try:
            upgrade_database(database)
        finally:
            database.dispose()
        yield url


@pytest.fixture(scope="session")
def shared_database(database_url: str) -> Iterator[Database]:
    from ksef_mcu.storage.database import Database

    database = Database.from_url(database_url)
    yield database
    database.dispose()


def empty_all_tables(database: Database) -> None:
    """Delete every row the application owns (not Alembic's version table)."""
    from ksef_mcu.server.migrations import metadata

    tables = list(reversed(metadata.sorted_tables))
    with database.write() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in tables)
            connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        else:
            for table in tables:
                connection.execute(table.delete())


@pytest.fixture
def database(shared_database: Database) -> Database:
    """The session's database with empty tables."""
    empty_all_tables(shared_database)
    return shared_database


# --- the server -----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def server_keys(tmp_path_factory: pytest.TempPathFactory) -> ServerKeys:
    """The server's keys, created once per session (RSA key generation and PBES2 are slow)."""
    from ksef_mcu.server.certificates.ca import open_certificate_authority
    from ksef_mcu.server.keys import open_server_keys
    from ksef_mcu.server.settings import ServerSettings

    settings = ServerSettings(data_dir=tmp_path_factory.mktemp("keys"), secret="test-secret-for-the-key-store")
    keys = open_server_keys(settings, now=TEST_START)
    # The CA lives in the same store and is created by whichever app opens it first. Created here, at TEST_START, it
    # does not depend on that order: a live-clock browser server opening it first would make it start today, and
    # the API tests' frozen clock would then ask for certificates older than their issuer.
    open_certificate_authority(keys.store, now=TEST_START, crl_url=f"{settings.resolved_public_url}/ca/crl")
    return keys


@pytest.fixture
def clock() -> ManualClock:
    from ksef_mcu.clock import ManualClock

    return ManualClock(TEST_START)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> ServerSettings:
    """Sandbox settings for API tests; rate limits off (the frozen clock would make every request 'simultaneous')."""
    from ksef_mcu.server.settings import ServerSettings

    return ServerSettings(data_dir=tmp_path, database_url=database_url, rate_limits_enabled=False)


@pytest.fixture
def app_factory(database: Database, server_keys: ServerKeys, clock: ManualClock) -> Callable[..., FastAPI]:
    """Build apps sharing the test database, keys and clock; keyword arguments override settings."""
    from ksef_mcu.server.app import create_app

    def build(settings: ServerSettings, **kwargs: Any) -> FastAPI:
        return create_app(settings, clock=clock, keys=server_keys, database=database, **kwargs)

    return build


@pytest.fixture
def app(app_factory: Callable[..., FastAPI], settings: ServerSettings) -> FastAPI:
    return app_factory(settings)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with running(app) as client:
        yield client


@pytest.fixture(scope="session")
def contract() -> ContractChecker:
    """Validates responses against the official OpenAPI document when the shared folder has it."""
    from support.openapi import load_contract

    return ContractChecker(load_contract())
