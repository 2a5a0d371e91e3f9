"""The XML attack corpus (`tests/xades/test_attacks.py`: DTDs and entities, encodings, signature wrapping, forged
references and algorithms, …) sent over HTTP to every endpoint that takes XML — found from our `/openapi.json`, so
an XML endpoint added later (invoices, UPO) is attacked too. Every document is refused with the code the verifier
gives it (or 413 before reading, when bigger than the body limit); none is accepted, none breaks the server."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from ksef_mcu.clock import ManualClock
from ksef_mcu.crypto.errors import XADES_REJECTIONS, XadesRejection
from support.server import TEST_START
from xades.pki import NOW as CORPUS_NOW
from xades.test_attacks import CASES

pytestmark = [pytest.mark.anyio, pytest.mark.db]


@pytest.fixture
async def xml_endpoints(client: httpx.AsyncClient) -> list[tuple[str, str]]:
    document = (await client.get("/openapi.json")).json()
    found = [
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if "application/xml" in (operation.get("requestBody") or {}).get("content", {})
    ]
    assert ("POST", "/v2/auth/xades-signature") in found
    return found


@pytest.mark.parametrize(("name", "make", "reason"), CASES, ids=[name for name, _, _ in CASES])
async def test_attack_over_http(
    client: httpx.AsyncClient,
    clock: ManualClock,
    xml_endpoints: list[tuple[str, str]],
    name: str,
    make: Callable[[], bytes],
    reason: XadesRejection,
) -> None:
    clock.advance(CORPUS_NOW - TEST_START)  # the corpus's certificates are valid at its own moment
    document = make()
    expected = XADES_REJECTIONS[reason].code
    if reason in (XadesRejection.CERTIFICATE_EXPIRED, XadesRejection.CERTIFICATE_NOT_YET_VALID):
        # Over the API a certificate's validity is judged after the challenge (it ends a started login with status
        # 460, as in KSeF); the corpus's challenge was never issued here, so that is what is refused.
        expected = 21111
    for method, path in xml_endpoints:
        response = await client.request(method, path, content=document, headers={"Content-Type": "application/xml"})
        if response.status_code == 413:
            continue  # bigger than the body limit: refused before it was read
        assert response.status_code == 400, (name, path, response.status_code, response.text[:300])
        [detail] = response.json()["exception"]["exceptionDetailList"]
        assert detail["exceptionCode"] == expected, (name, path, detail)
