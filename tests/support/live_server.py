"""A real HTTP server for the app under test, in a thread of the test process (uvicorn on a free local port).

The CLI talks to it exactly as to `ksef-mcu serve` — over TCP with httpx — while the test keeps the app's database
and keys in hand and pays no process start-up per command.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from support.processes import free_port

if TYPE_CHECKING:
    from fastapi import FastAPI


@contextmanager
def serve_in_thread(app: FastAPI) -> Iterator[str]:
    """Run `app` (lifespan included, so the issuance worker runs) and yield its base URL, `http://127.0.0.1:PORT`."""
    import uvicorn

    config = uvicorn.Config(
        app, host="127.0.0.1", port=free_port(), log_level="warning", lifespan="on", ws="none", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise AssertionError("the in-thread server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
