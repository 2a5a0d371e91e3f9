"""Schemathesis against the server, from our own `/openapi.json` and from the official `open-api.json`: requests
generated from each document — valid ones and deliberately invalid ones — over every operation we serve, with an
access token and without, in both error formats, on both databases (the `db` marker). Zero server errors, and every
answer valid against the document it was generated from and against the official contract wherever that declares
the status.

`KSEF_MCU_FUZZ_EXAMPLES` is the number of cases drawn per operation, generation mode, token mode and error format:
2 in the everyday suite (about 1 500 requests per database), 14 for the full run (more than 10 000 requests per
database; then the count is asserted): `KSEF_MCU_FUZZ_EXAMPLES=14 make test-fuzz`. The test prints its counts.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections import Counter
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from support.login import Identity, login
from support.openapi import load_contract
from support.server import TEST_START, ContractChecker

pytestmark = [pytest.mark.anyio, pytest.mark.db]

EXAMPLES = int(os.environ.get("KSEF_MCU_FUZZ_EXAMPLES", "2"))
FULL_RUN = 14
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def draw(operation: Any, mode: GenerationMode, count: int) -> list[Any]:
    """Up to `count` cases of `operation` (derandomized: a failure replays)."""
    cases: list[Any] = []

    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(operation.as_strategy(mode))
    def collect(case: Any) -> None:
        cases.append(case)

    with contextlib.suppress(Unsatisfiable):  # nothing to make invalid (no parameters, no body)
        collect()
    return cases[:count]


def request_of(case: Any, base_url: str, *, token: str | None, problem_details: bool) -> dict[str, Any]:
    kwargs = case.as_transport_kwargs(base_url=base_url)
    headers = {name: value for name, value in kwargs["headers"].items() if name.lower() != "authorization"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if problem_details:
        headers["X-Error-Format"] = "problem-details"
    request: dict[str, Any] = {
        "method": kwargs["method"],
        "url": kwargs["url"],
        "headers": headers,
        "params": kwargs.get("params") or None,
    }
    if "json" in kwargs:
        request["content"] = json.dumps(kwargs["json"]).encode()
    elif kwargs.get("data") is not None:
        data = kwargs["data"]
        request["content"] = data if isinstance(data, bytes) else str(data).encode()
    return request


def served(official: dict[str, Any], ours: dict[str, Any]) -> set[tuple[str, str]]:
    """(path, method) of the official operations this server implements."""
    return {
        (path, method)
        for path, item in official["paths"].items()
        for method in item
        if method in ours["paths"].get("/v2" + path, {})
    }


async def test_generated_requests_never_break_the_server(client: httpx.AsyncClient) -> None:
    ours = (await client.get("/openapi.json")).json()
    contract = load_contract()
    if contract is None:
        pytest.skip("the official open-api.json is not in the shared folder (KSEF_MCU_SHARED_DIR)")
    identity = Identity.person_with_nip(now=TEST_START)
    token = (await login(client, identity, context=identity.nip or "", now=TEST_START)).access_token
    implemented = served(contract.document, ours)
    official_document = json.loads(json.dumps(contract.document))
    official_document["paths"] = {
        path: {method: operation for method, operation in item.items() if (path, method) in implemented}
        for path, item in official_document["paths"].items()
        if any((path, method) in implemented for method in item)
    }
    sources = {
        "ours": (schemathesis.openapi.from_dict(ours), "http://testserver"),
        "official": (schemathesis.openapi.from_dict(official_document), "http://testserver/v2"),
    }
    counts: Counter[str] = Counter()
    failures: list[str] = []
    for source, (schema, base_url) in sources.items():
        operations = [result.ok() for result in schema.get_all_operations()]
        assert operations, source
        counts[f"operations from {source}"] = len(operations)
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                cases = draw(operation, mode, EXAMPLES * 4)
                for index, case in enumerate(cases):
                    authenticated, problem_details = bool(index & 1), bool(index & 2)
                    try:
                        request = request_of(
                            case, base_url, token=token if authenticated else None, problem_details=problem_details
                        )
                        response = await client.request(**request)
                    except (UnicodeEncodeError, httpx.InvalidURL, httpx.LocalProtocolError, ValueError):
                        counts["not sendable over HTTP (skipped)"] += 1
                        continue
                    counts["requests"] += 1
                    counts[f"status {response.status_code}"] += 1
                    label = f"{source} {operation.method.upper()} {operation.path} ({mode.value}, #{index})"
                    try:
                        case.validate_response(response, checks=CHECKS)
                    except Exception as error:  # collected and reported together
                        failures.append(f"{label}: {type(error).__name__}: {str(error)[:400]}")
                        continue
                    official_path = operation.path.removeprefix("/v2")
                    declared = contract.document["paths"].get(official_path, {}).get(operation.method.lower(), {})
                    if str(response.status_code) in declared.get("responses", {}):
                        try:
                            check_official(contract, response, official_path)
                            counts["also valid against the official contract"] += 1
                        except AssertionError as error:
                            failures.append(f"{label}: official contract: {str(error)[:400]}")
    print(f"\nschemathesis: {dict(sorted(counts.items()))}")
    assert counts["status 500"] == 0
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:30])
    if EXAMPLES >= FULL_RUN:
        assert counts["requests"] >= 10_000, counts


def check_official(contract: Any, response: httpx.Response, path: str) -> None:
    ContractChecker(contract).check(response, path)
