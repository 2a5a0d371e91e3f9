"""The one table of required permissions (`permissions/required.py`) against `open-api.json` and the app's routes:
an operation of the app without an entry, or with another one than the contract's `x-required-permissions`, fails."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from ksef_mcu.server.app import create_app
from ksef_mcu.server.permissions.required import REQUIRED_PERMISSIONS, required_permissions
from ksef_mcu.server.settings import ServerMode, ServerSettings
from support.openapi import find_shared_dir


def _contract() -> dict[str, Any]:
    shared = find_shared_dir()
    path = shared / "ksef-docs" / "open-api.json" if shared else None
    if path is None or not path.is_file():
        pytest.skip("the shared folder with ksef-docs/open-api.json is not available")
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def _contract_operations(document: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    operations = {}
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            if isinstance(operation, dict) and "responses" in operation:
                operations[f"{method.upper()} {path}"] = tuple(operation.get("x-required-permissions") or ())
    return operations


def _app_operations(app: FastAPI) -> set[str]:
    found: set[str] = set()
    for route in app.routes:
        if isinstance(route, APIRoute) and route.path.startswith("/v2/"):
            found.update(f"{method} {route.path[len('/v2') :]}" for method in (route.methods or set()) - {"HEAD"})
    return found


def test_the_table_is_the_contract() -> None:
    contract = _contract_operations(_contract())
    assert dict(REQUIRED_PERMISSIONS) == contract


@pytest.mark.parametrize("mode", [ServerMode.SANDBOX, ServerMode.STRICT])
def test_every_operation_of_the_app_has_its_entry(tmp_path: Any, server_keys: Any, mode: ServerMode) -> None:
    contract = _contract_operations(_contract())
    settings = ServerSettings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}", mode=mode)
    app = create_app(settings, keys=server_keys)
    operations = _app_operations(app)
    assert operations, "the app serves no /v2 operation"
    missing = sorted(operation for operation in operations if operation not in REQUIRED_PERMISSIONS)
    assert missing == []
    different = sorted(o for o in operations if o in contract and REQUIRED_PERMISSIONS[o] != contract[o])
    assert different == []
    assert "POST /permissions/persons/grants" in operations


def test_lookup_by_the_endpoint_name_the_dependency_uses() -> None:
    assert required_permissions("POST /v2/sessions/online") == (
        "InvoiceWrite",
        "PefInvoiceWrite",
        "EnforcementOperations",
    )
    assert required_permissions("GET /v2/auth/sessions") == ()
    assert required_permissions("GET /v2/nothing/here") is None
