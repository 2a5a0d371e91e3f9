"""PostgreSQL LISTEN/NOTIFY: wake a process when another one committed work for it.

SQLite has no such thing; there, workers in other processes find new work by polling.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg
from sqlalchemy import make_url

logger = logging.getLogger("ksef_mcu.storage")


def _conninfo(url: str) -> str:
    """A libpq connection string for a SQLAlchemy `postgresql+psycopg://…` URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class NotificationListener:
    """A background thread that calls `callback` whenever a notification arrives on `channel`.

    Reconnects after connection failures (waiting a second); `stop()` ends it within half a second.
    """

    def __init__(self, url: str, channel: str, callback: Callable[[], None]) -> None:
        if not channel.isidentifier():
            raise ValueError(f"unsafe channel name {channel!r}")
        self._conninfo = _conninfo(url)
        self._channel = channel
        self._callback = callback
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"listen-{channel}", daemon=True)
        self.listening = threading.Event()
        """Set once LISTEN is in effect (tests wait for it)."""

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True) as connection:
                    connection.execute(f"LISTEN {self._channel}")  # the name was checked to be an identifier
                    self.listening.set()
                    while not self._stop.is_set():
                        for _ in connection.notifies(timeout=0.5, stop_after=1):
                            self._callback()
            except psycopg.Error as error:
                self.listening.clear()
                logger.warning("listening on %s failed (%s); reconnecting", self._channel, type(error).__name__)
                self._stop.wait(1.0)
