"""The KSeF-compatible MCU server: `create_app(settings)` builds it (see docs/server.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ksef_mcu.server.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    # Lazy: importing `ksef_mcu.server.settings` (the CLI does) must not pull in FastAPI and SQLAlchemy.
    if name == "create_app":
        from ksef_mcu.server.app import create_app  # noqa: PLC0415 - see above

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
