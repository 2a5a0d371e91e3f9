"""Modules loaded on first use, so that `ksef-mcu --help` (and any command's `-h`) starts in a fraction of a second.

The client, the crypto and the server stack with httpx, cryptography, pydantic and SQLAlchemy take about a second to
import; a command needs them only once it runs. This module declares each heavy module once, as a stand-in that imports
the real module on first attribute access (the type checker sees the real modules), and the rooms use them qualified:

    from ksef_mcu.cli._lazy import client, crypto_keys
    ...
    client.KsefClient(...)      # ksef_mcu.client is imported here, when the command runs

`bench/cli_startup.py` measures the effect; tests/cli/test_startup.py checks that building the command and showing
help imports none of them.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

__all__ = [
    "box",
    "certificates",
    "client",
    "client_environments",
    "client_validation",
    "compat",
    "crypto_errors",
    "crypto_keys",
    "csr_crypto",
    "etree",
    "httpx",
    "lazy",
    "names",
    "passwords",
    "pydantic",
    "qr_crypto",
    "qr_images",
    "rich_console",
    "rich_status",
    "rich_table",
    "self_signed",
    "serialization",
    "server_settings",
    "sqlalchemy_exc",
    "x509",
]


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


# The heavy modules the rooms use, declared once (the type checker sees the real modules).
if TYPE_CHECKING:
    import httpx
    import pydantic
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from lxml import etree
    from rich import box
    from rich import console as rich_console
    from rich import status as rich_status
    from rich import table as rich_table
    from sqlalchemy import exc as sqlalchemy_exc

    from ksef_mcu import client, qr_images
    from ksef_mcu.client import environments as client_environments
    from ksef_mcu.client import validation as client_validation
    from ksef_mcu.crypto import certificates, compat, names, passwords, self_signed
    from ksef_mcu.crypto import csr as csr_crypto
    from ksef_mcu.crypto import errors as crypto_errors
    from ksef_mcu.crypto import keys as crypto_keys
    from ksef_mcu.crypto import qr as qr_crypto
    from ksef_mcu.server import settings as server_settings
else:
    box = lazy("rich.box")
    certificates = lazy("ksef_mcu.crypto.certificates")
    client = lazy("ksef_mcu.client")
    client_environments = lazy("ksef_mcu.client.environments")
    client_validation = lazy("ksef_mcu.client.validation")
    compat = lazy("ksef_mcu.crypto.compat")
    crypto_errors = lazy("ksef_mcu.crypto.errors")
    crypto_keys = lazy("ksef_mcu.crypto.keys")
    csr_crypto = lazy("ksef_mcu.crypto.csr")
    etree = lazy("lxml.etree")
    httpx = lazy("httpx")
    names = lazy("ksef_mcu.crypto.names")
    passwords = lazy("ksef_mcu.crypto.passwords")
    pydantic = lazy("pydantic")
    qr_crypto = lazy("ksef_mcu.crypto.qr")
    qr_images = lazy("ksef_mcu.qr_images")
    rich_console = lazy("rich.console")
    rich_status = lazy("rich.status")
    rich_table = lazy("rich.table")
    self_signed = lazy("ksef_mcu.crypto.self_signed")
    serialization = lazy("cryptography.hazmat.primitives.serialization")
    server_settings = lazy("ksef_mcu.server.settings")
    sqlalchemy_exc = lazy("sqlalchemy.exc")
    x509 = lazy("cryptography.x509")
