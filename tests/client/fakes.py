"""A scripted KSeF for `httpx.MockTransport`, a fake clock and response builders for the client tests."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from ksef_mcu.client import KsefClient, PollPolicy, RetryPolicy, Token, TokenState

BASE = "http://127.0.0.1:8000/v2"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

Reply = httpx.Response | Callable[[httpx.Request], httpx.Response] | Exception


@dataclass
class FakeClock:
    """A clock that only moves when the code under test sleeps."""

    now: datetime = START
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += timedelta(seconds=seconds)


class FakeKsef:
    """Routes `(method, path)` to queued replies; the last reply of a route repeats. Records every request."""

    def __init__(self, max_requests: int = 200) -> None:
        self.routes: dict[tuple[str, str], list[Reply]] = {}
        self.requests: list[httpx.Request] = []
        self.max_requests = max_requests  # a client stuck in a loop fails the test instead of hanging it

    def on(self, method: str, path: str, *replies: Reply) -> FakeKsef:
        self.routes.setdefault((method, path), []).extend(replies)
        return self

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if len(self.requests) > self.max_requests:
            raise AssertionError(f"more than {self.max_requests} requests: the client is looping")
        path = request.url.path.removeprefix("/v2")
        queue = self.routes.get((request.method, path))
        if not queue:
            return httpx.Response(404, json={"title": "Not Found", "status": 404, "detail": f"no route {path}"})
        reply = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(reply, Exception):
            raise reply
        return reply(request) if callable(reply) else reply

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def calls(self, method: str | None = None, path: str | None = None) -> list[httpx.Request]:
        return [
            request
            for request in self.requests
            if (method is None or request.method == method)
            and (path is None or request.url.path.removeprefix("/v2") == path)
        ]


def ok(body: Any = None, status: int = 200, headers: dict[str, str] | None = None) -> httpx.Response:
    if body is None:
        return httpx.Response(status, headers=headers)
    return httpx.Response(status, json=body, headers=headers)


def legacy_error(
    *errors: tuple[int, str, list[str] | None], status: int = 400, headers: dict[str, str] | None = None
) -> httpx.Response:
    return httpx.Response(
        status,
        headers=headers,
        json={
            "exception": {
                "exceptionDetailList": [
                    {"exceptionCode": code, "exceptionDescription": description, "details": details}
                    for code, description, details in errors
                ],
                "referenceNumber": None,
                "serviceCode": "00-c02cc3747020c605be02159bf3324f0e-eee7647dc67aa74a-00",
                "serviceCtx": "srvABCDA",
                "serviceName": "Undefined",
                "timestamp": "2025-10-11T12:23:56.0154302",
            }
        },
    )


def problem(status: int, headers: dict[str, str] | None = None, **fields: Any) -> httpx.Response:
    titles = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 410: "Gone", 429: "Too Many Requests"}
    body = {
        "title": titles.get(status, "Error"),
        "status": status,
        "instance": "/v2/certificates/limits",
        "timestamp": "2025-07-11T12:23:56.0154302+00:00",
        "traceId": "673843e023c432286660bc0501a3af44",
        **fields,
    }
    return httpx.Response(
        status,
        content=json.dumps(body).encode(),
        headers={"Content-Type": "application/problem+json", **(headers or {})},
    )


def tokens(
    *, access_in: timedelta = timedelta(minutes=15), refresh_in: timedelta | None = timedelta(days=7)
) -> TokenState:
    return TokenState(
        access_token=Token("access-1", START + access_in),
        refresh_token=Token("refresh-1", START + refresh_in) if refresh_in is not None else None,
        reference_number="20260302-AU-1111111111-2222222222-33",
    )


def make_client(
    fake: FakeKsef,
    clock: FakeClock,
    *,
    token_state: TokenState | None = None,
    retry: RetryPolicy | None = None,
    **options: Any,
) -> KsefClient:
    return KsefClient(
        "local",
        transport=fake.transport,
        tokens=token_state,
        clock=clock,
        sleep=clock.sleep,
        retry=retry or RetryPolicy(jitter=False),
        poll=PollPolicy(initial_interval=0.5, multiplier=1.5, max_interval=10.0),
        **options,
    )


def bearer(request: httpx.Request) -> str | None:
    value = request.headers.get("authorization")
    return value.removeprefix("Bearer ") if value else None


def body(request: httpx.Request) -> Any:
    return json.loads(request.content) if request.content else None


LIMITS = {"canRequest": True, "enrollment": {"remaining": 11, "limit": 12}, "certificate": {"remaining": 5, "limit": 6}}


def list_item(serial: str, name: str = "Certyfikat 1", **overrides: Any) -> dict[str, Any]:
    item = {
        "certificateSerialNumber": serial,
        "name": name,
        "type": "Authentication",
        "commonName": "Jan Kowalski",
        "status": "Active",
        "subjectIdentifier": {"type": "Nip", "value": "5265877635"},
        "validFrom": "2025-08-24T14:15:22+00:00",
        "validTo": "2027-08-24T14:15:22+00:00",
        "lastUseDate": "2025-08-25T14:15:22+00:00",
        "requestDate": "2025-08-24T14:15:22+00:00",
    }
    item.update(overrides)
    return item


def serials(count: int, start: int = 1) -> list[str]:
    return [f"{number:016X}" for number in range(start, start + count)]


def all_paths(requests: Iterable[httpx.Request]) -> list[str]:
    return [f"{request.method} {request.url.path.removeprefix('/v2')}" for request in requests]
