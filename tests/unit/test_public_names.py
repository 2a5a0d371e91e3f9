"""The library's public modules say what they export: each has an `__all__` naming only what exists, once."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

import pytest

import ksef_mcu.client
import ksef_mcu.crypto

# Package markers without public names of their own.
WITHOUT_ALL = {
    "ksef_mcu.crypto",
    "ksef_mcu.client._operations",
}


def _modules() -> list[ModuleType]:
    modules: list[ModuleType] = []
    for package in (ksef_mcu.crypto, ksef_mcu.client):
        modules.append(package)
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."):
            modules.append(importlib.import_module(info.name))
    return [module for module in modules if module.__name__ not in WITHOUT_ALL]


MODULES = _modules()


@pytest.mark.parametrize("module", MODULES, ids=[module.__name__ for module in MODULES])
def test_module_declares_what_it_exports(module: ModuleType) -> None:
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{module.__name__} has no __all__"
    missing = [name for name in exported if not hasattr(module, name)]
    assert missing == []
    assert len(set(exported)) == len(exported)
