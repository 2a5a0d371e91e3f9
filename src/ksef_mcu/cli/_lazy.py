"""Modules loaded on first use, so that `ksef-mcu --help` (and any command's `-h`) starts in a fraction of a second.

The client, the crypto and the server stack with httpx, cryptography, pydantic and SQLAlchemy take about a second to
import; a command needs them only once it runs. Each room names its heavy modules once:

    if TYPE_CHECKING:
        from ksef_mcu import client          # the real module for the type checker
    else:
        client = lazy("ksef_mcu.client")     # a module object that imports itself on first attribute access

and uses them qualified (`client.KsefClient`). `bench/cli_startup.py` measures the effect; tests/cli/test_startup.py
checks that building the command imports none of them.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any


class _OnFirstUse(types.ModuleType):
    """Stands for the module of the same name; the first attribute read imports it (a plain `import_module`)."""

    def __getattr__(self, attribute: str) -> Any:
        return getattr(importlib.import_module(self.__name__), attribute)


def lazy(name: str) -> types.ModuleType:
    """The module `name`, imported when an attribute is first read (or the module itself, if already imported).

    Nothing is looked up before that — not even the parent package — so `lazy("ksef_mcu.client.validation")` costs
    nothing until the command runs."""
    if (loaded := sys.modules.get(name)) is not None:
        return loaded
    return _OnFirstUse(name)
