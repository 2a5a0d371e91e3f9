"""AsyncKsefClient runs the same flows as KsefClient: a sample of every path through the async driver."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from ksef_mcu.client import (
    AsyncKsefClient,
    CertificateEnrollmentStatus,
    KsefEnrollmentFailedError,
    KsefInvalidInputError,
    PollPolicy,
    RetryPolicy,
)

from .fakes import LIMITS, FakeClock, FakeKsef, all_paths, bearer, body, ok, serials, tokens
from .test_auth import AUTH_REFERENCE, SIGNED, _auth_status, _script_login
from .test_certificates import REFERENCE, STATUS_PATH, SUBMITTED, _pages, status

T = TypeVar("T")


def _client(fake: FakeKsef, clock: FakeClock, **options: Any) -> AsyncKsefClient:
    async def sleep(seconds: float) -> None:
        clock.sleep(seconds)

    return AsyncKsefClient(
        transport=fake.transport,
        clock=clock,
        sleep=sleep,
        retry=RetryPolicy(jitter=False),
        poll=PollPolicy(initial_interval=0.5, multiplier=1.5, max_interval=10.0),
        **options,
    )


def run(fake: FakeKsef, clock: FakeClock, work: Callable[[AsyncKsefClient], Awaitable[T]], **options: Any) -> T:
    async def main() -> T:
        async with _client(fake, clock, **options) as client:
            return await work(client)

    return asyncio.run(main())


def test_async_refresh_before_expiry_and_retry(fake: FakeKsef, clock: FakeClock) -> None:
    fake.on(
        "POST", "/auth/token/refresh", ok({"accessToken": {"token": "access-2", "validUntil": "2026-03-02T09:30:00Z"}})
    )
    fake.on("GET", "/certificates/limits", httpx.Response(503), ok(LIMITS))
    limits = run(
        fake, clock, lambda client: client.certificates.limits(), tokens=tokens(access_in=timedelta(seconds=10))
    )
    assert limits.can_request
    assert all_paths(fake.requests) == [
        "POST /auth/token/refresh",
        "GET /certificates/limits",
        "GET /certificates/limits",
    ]
    assert [bearer(request) for request in fake.requests] == ["refresh-1", "access-2", "access-2"]
    assert clock.sleeps == [0.5]


def test_async_login_with_xades(fake: FakeKsef, clock: FakeClock) -> None:
    _script_login(fake, _auth_status(100), _auth_status(200))
    state = run(fake, clock, lambda client: client.auth.login_with_xades(lambda _: SIGNED))
    assert state.access_token.token == "access-new"
    assert state.reference_number == AUTH_REFERENCE
    assert clock.sleeps == [0.5]


def test_async_enroll_wait_retrieve_query_revoke(
    fake: FakeKsef, clock: FakeClock, csr: x509.CertificateSigningRequest, certificate: x509.Certificate
) -> None:
    fake.on("POST", "/certificates/enrollments", ok(SUBMITTED, status=202))
    fake.on("GET", STATUS_PATH, status(100), status(200, serial="01F20A5D352AE590"))
    fake.on(
        "POST",
        "/certificates/retrieve",
        ok(
            {
                "certificates": [
                    {
                        "certificate": base64.b64encode(certificate.public_bytes(Encoding.DER)).decode(),
                        "certificateName": "Certyfikat",
                        "certificateSerialNumber": "01F20A5D352AE590",
                        "certificateType": "Offline",
                    }
                ]
            }
        ),
    )
    fake.on("POST", "/certificates/query", _pages([serials(10, 1), serials(3, 11)]))
    fake.on("POST", "/certificates/01F20A5D352AE590/revoke", ok(status=204))
    progress: list[CertificateEnrollmentStatus] = []

    async def work(client: AsyncKsefClient) -> tuple[str, str, list[str]]:
        enrollment = await client.certificates.enroll("Certyfikat", "Offline", csr)
        final = await enrollment.wait(timeout=30, on_progress=progress.append)
        assert final.serial_number is not None
        [retrieved] = await client.certificates.retrieve([final.serial_number])
        listed = [item.serial_number async for item in client.certificates.query(page_size=10)]
        await client.certificates.revoke(final.serial_number)
        return final.serial_number, retrieved.pem, listed

    serial, pem, listed = run(fake, clock, work, tokens=tokens())
    assert serial == "01F20A5D352AE590"
    assert pem == certificate.public_bytes(Encoding.PEM).decode()
    assert listed == serials(13, 1)
    assert [item.status.code for item in progress] == [100, 200]
    assert fake.calls("POST", "/certificates/01F20A5D352AE590/revoke")[0].content == b""
    assert body(fake.calls("POST", "/certificates/enrollments")[0])["certificateType"] == "Offline"


def test_async_enrollment_rejection(fake: FakeKsef, clock: FakeClock) -> None:
    fake.on("GET", STATUS_PATH, status(400, "Wniosek odrzucony", ["Osiągnięto dopuszczalny limit."]))
    with pytest.raises(KsefEnrollmentFailedError) as info:
        run(fake, clock, lambda client: client.certificates.enrollment(REFERENCE).wait(), tokens=tokens())
    assert info.value.details == ("Osiągnięto dopuszczalny limit.",)


def test_async_transport_errors_are_thrown_into_the_flow(fake: FakeKsef, clock: FakeClock) -> None:
    fake.on("GET", "/security/public-key-certificates", httpx.ConnectError("refused"), ok([]))
    fake.on("POST", "/certificates/01F20A5D352AE590/revoke", httpx.ConnectError("refused"))
    assert run(fake, clock, lambda client: client.security.public_key_certificates()) == []
    with pytest.raises(httpx.ConnectError):
        run(fake, clock, lambda client: client.certificates.revoke("01F20A5D352AE590"), tokens=tokens())
    assert len(fake.calls("POST")) == 1


def test_async_sessions_and_logout(fake: FakeKsef, clock: FakeClock) -> None:
    item = {
        "referenceNumber": AUTH_REFERENCE,
        "startDate": "2026-03-02T09:00:00Z",
        "status": {"code": 200, "description": "OK"},
        "isCurrent": True,
    }
    fake.on("GET", "/auth/sessions", ok({"items": [item], "continuationToken": "next"}), ok({"items": [item]}))
    fake.on("DELETE", "/auth/sessions/current", ok(status=204))

    async def work(client: AsyncKsefClient) -> int:
        count = len([session async for session in client.auth.sessions(page_size=10)])
        await client.auth.logout()
        assert client.tokens is None
        return count

    assert run(fake, clock, work, tokens=tokens()) == 2
    assert fake.calls("GET")[1].headers["x-continuation-token"] == "next"


def test_async_enroll_applies_the_user_guide_name_rule_unless_told_otherwise(
    fake: FakeKsef, clock: FakeClock, csr: x509.CertificateSigningRequest
) -> None:
    fake.on("POST", "/certificates/enrollments", ok(SUBMITTED, status=202))

    async def work(client: AsyncKsefClient) -> str:
        with pytest.raises(KsefInvalidInputError) as info:
            await client.certificates.enroll("Mój certyfikat", "Offline", csr)
        assert info.value.field == "certificate_name"
        return (await client.certificates.enroll("Mój certyfikat", "Offline", csr, name_rule="api")).reference_number

    assert run(fake, clock, work, tokens=tokens()) == REFERENCE
    assert [body(request)["certificateName"] for request in fake.requests] == ["Mój certyfikat"]


def test_async_input_is_checked_before_awaiting(fake: FakeKsef, clock: FakeClock) -> None:
    client = _client(fake, clock, tokens=tokens())
    with pytest.raises(KsefInvalidInputError):
        client.certificates.query(page_size=60)
    with pytest.raises(KsefInvalidInputError):
        client.certificates.enrollment("nope")
    asyncio.run(client.aclose())
    assert fake.requests == []
