"""What the running server is made of, and how modules plug into it.

`create_app` builds one `ServerComponents` (settings, clock, database, keys, services, hooks) and hands it to every
`ServerModule`, which may add routes, register a trust-anchor provider or a login-certificate authority, open its
own keys in the key store, and add background workers to the `Lifecycle` (started with the app, stopped and drained
when it shuts down).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ksef_mcu.clock import Clock
from ksef_mcu.server.auth.challenges import ChallengeService
from ksef_mcu.server.auth.permissions import PermissionResolver
from ksef_mcu.server.auth.service import AuthenticationService
from ksef_mcu.server.auth.tokens import TokenService
from ksef_mcu.server.auth.trust import TrustStore
from ksef_mcu.server.keys import ServerKeys
from ksef_mcu.server.ratelimit import RateLimiter
from ksef_mcu.server.settings import ServerSettings
from ksef_mcu.server.testdata.service import TestDataService
from ksef_mcu.storage.database import Database

if TYPE_CHECKING:
    from fastapi import FastAPI

logger = logging.getLogger("ksef_mcu.server")

Hook = Callable[[], Awaitable[None] | None]
Worker = Callable[[asyncio.Event], Coroutine[Any, Any, None]]
"""A long-running task: it should return soon after the event is set (shutdown)."""


@dataclass
class Lifecycle:
    """Start-up and shutdown hooks and background workers, run by the app's lifespan."""

    drain_timeout: float = 30.0
    _startup: list[Hook] = field(default_factory=list)
    _shutdown: list[Hook] = field(default_factory=list)
    _workers: list[tuple[str, Worker]] = field(default_factory=list)
    _running: list[asyncio.Task[None]] = field(default_factory=list)
    _stop: asyncio.Event | None = None

    def on_startup(self, hook: Hook) -> None:
        self._startup.append(hook)

    def on_shutdown(self, hook: Hook) -> None:
        """Runs after the workers have stopped, in reverse order of registration."""
        self._shutdown.append(hook)

    def add_worker(self, name: str, worker: Worker) -> None:
        self._workers.append((name, worker))

    @staticmethod
    async def _call(hook: Hook) -> None:
        result = hook()
        if inspect.isawaitable(result):
            await result

    async def start(self) -> None:
        if self._stop is not None:
            raise RuntimeError("the lifecycle has already been started")
        for hook in self._startup:
            await self._call(hook)
        self._stop = asyncio.Event()
        for name, worker in self._workers:
            self._running.append(asyncio.create_task(worker(self._stop), name=name))

    async def stop(self) -> None:
        """Signal the workers, wait for them (up to `drain_timeout`), then run the shutdown hooks."""
        if self._stop is not None:
            self._stop.set()
        if self._running:
            done, pending = await asyncio.wait(self._running, timeout=self.drain_timeout)
            for task in pending:
                logger.warning(
                    "worker %s did not stop within %.0f s; cancelling it", task.get_name(), self.drain_timeout
                )
                task.cancel()
            for task in done:
                if not task.cancelled() and task.exception() is not None:
                    logger.error("worker %s failed", task.get_name(), exc_info=task.exception())
            self._running.clear()
        self._stop = None
        for hook in reversed(self._shutdown):
            await self._call(hook)


@dataclass
class ServerComponents:
    """Everything a route or module needs, built once per app."""

    settings: ServerSettings
    clock: Clock
    database: Database
    keys: ServerKeys
    tokens: TokenService
    rate_limiter: RateLimiter
    trust: TrustStore
    permissions: PermissionResolver
    challenges: ChallengeService
    authentication: AuthenticationService
    testdata: TestDataService
    lifecycle: Lifecycle


class ServerModule(Protocol):
    """A part of the server that plugs in at start-up (e.g. the certificates module)."""

    name: str

    def install(self, app: FastAPI, components: ServerComponents) -> None:
        """Add routes (under `/v2`), hooks and workers. Called once, before the app starts."""
        ...
