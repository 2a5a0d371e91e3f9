"""Helpers for server tests: temporary databases, in-process clients, the test clock's start, contract checks."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from support.databases import scratch_postgres_database

if TYPE_CHECKING:
    from fastapi import FastAPI

    from support.openapi import OpenApiContract

POSTGRES_URL_VARIABLE = "KSEF_MCU_TEST_POSTGRES_URL"


@contextmanager
def temporary_database(db_backend: str, directory: Path) -> Iterator[str]:
    """An empty database: a SQLite file in `directory`, or a uniquely named PostgreSQL database created from
    `KSEF_MCU_TEST_POSTGRES_URL` (dropped afterwards), so parallel runs and helpers never collide."""
    if db_backend == "sqlite":
        yield f"sqlite:///{directory / 'ksef-mcu.sqlite3'}"
        return
    with scratch_postgres_database(os.environ[POSTGRES_URL_VARIABLE], prefix="ksef_mcu_test") as url:
        yield url


TEST_START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
"""Where every test's clock starts (a Monday morning, UTC)."""

TEST_CLIENT_IP = "203.0.113.7"


def in_process_client(app: FastAPI, *, client_ip: str = TEST_CLIENT_IP) -> httpx.AsyncClient:
    """An httpx client talking to `app` in-process from `client_ip` (the app's lifespan is not run)."""
    transport = httpx.ASGITransport(app=app, client=(client_ip, 50123), raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@asynccontextmanager
async def running(app: FastAPI, *, client_ip: str = TEST_CLIENT_IP) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client talking to `app` in-process, with the app's lifespan running."""
    async with app.router.lifespan_context(app), in_process_client(app, client_ip=client_ip) as client:
        yield client


class ContractChecker:
    def __init__(self, contract: OpenApiContract | None) -> None:
        self.contract = contract

    def check(self, response: httpx.Response, path: str) -> None:
        """Validate `response` against the contract's schema for `path` (a no-op without the contract; the test
        `test_official_contract_is_available` reports that as a skip)."""
        if self.contract is not None:
            self.contract.check_response(response, path)
