"""Our request bounds come from the official contract: every `int32` parameter and body field of an operation we
serve is bounded to int32, and every string the contract bounds in length is bounded at most as loosely, in our own
OpenAPI document — which FastAPI enforces, so a value past the contract's bound is a 21405, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from support.openapi import load_contract

INT32 = (-(2**31), 2**31 - 1)


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Follow `$ref`s and unwrap `X | None` (`anyOf` with null) and single-item `allOf`."""
    while True:
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            schema = document["components"]["schemas"][name]
        elif "anyOf" in schema:
            others = [option for option in schema["anyOf"] if option.get("type") != "null"]
            if len(others) != 1:
                return schema
            schema = others[0]
        elif "allOf" in schema and len(schema["allOf"]) == 1:
            schema = schema["allOf"][0]
        else:
            return schema


def walk(
    official: dict[str, Any], theirs: dict[str, Any], ours: dict[str, Any], mine: dict[str, Any], where: str
) -> list[str]:
    """Problems where `mine` (our schema) is looser than `theirs` (the contract's), recursively through objects and
    arrays."""
    theirs, mine = resolve(official, theirs), resolve(ours, mine)
    problems: list[str] = []
    if theirs.get("type") == "integer" and theirs.get("format") == "int32":
        low = mine.get("minimum", mine.get("exclusiveMinimum"))
        high = mine.get("maximum", mine.get("exclusiveMaximum"))
        if low is None or high is None or low < INT32[0] or high > INT32[1]:
            problems.append(f"{where}: int32 in the contract, ours allows [{low}, {high}]")
    unbounded = mine.get("maxLength") is None and "enum" not in mine and "format" not in mine
    if theirs.get("type") == "string" and "maxLength" in theirs and unbounded:
        problems.append(f"{where}: maxLength {theirs['maxLength']} in the contract, ours unbounded")
    for name, prop in (theirs.get("properties") or {}).items():
        mine_prop = (mine.get("properties") or {}).get(name)
        if mine_prop is not None:
            problems += walk(official, prop, ours, mine_prop, f"{where}.{name}")
    if theirs.get("type") == "array" and "items" in theirs and "items" in mine:
        problems += walk(official, theirs["items"], ours, mine["items"], f"{where}[]")
    return problems


def test_our_bounds_are_the_contracts(app: FastAPI) -> None:
    contract = load_contract()
    if contract is None:
        pytest.skip("the official open-api.json is not in the shared folder (KSEF_MCU_SHARED_DIR)")
    official = contract.document
    ours = app.openapi()
    problems: list[str] = []
    compared = 0
    for path, operations in official["paths"].items():
        for method, operation in operations.items():
            mine = ours["paths"].get("/v2" + path, {}).get(method)
            if not isinstance(operation, dict) or mine is None:
                continue
            compared += 1
            label = f"{method.upper()} {path}"
            my_parameters = {(p["in"], p["name"].lower()): p for p in mine.get("parameters", [])}
            for parameter in operation.get("parameters", []):
                my_parameter = my_parameters.get((parameter["in"], parameter["name"].lower()))
                if my_parameter is None:
                    continue
                problems += walk(
                    official, parameter["schema"], ours, my_parameter["schema"], f"{label} {parameter['name']}"
                )
            theirs_body = (operation.get("requestBody") or {}).get("content", {}).get("application/json")
            my_body = (mine.get("requestBody") or {}).get("content", {}).get("application/json")
            if theirs_body and my_body:
                problems += walk(official, theirs_body["schema"], ours, my_body["schema"], f"{label} body")
    assert compared >= 20, compared
    assert not problems, "\n".join(problems)
