"""A login certificate naming two different identities is refused as ambiguous; attributes that agree stay accepted
(real qualified seals carry `VATPL-<NIP>` in organizationIdentifier and `TINPL-<NIP>` in serialNumber together)."""

from __future__ import annotations

import httpx
import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from ksef_mcu.crypto.certificates import ORGANIZATION_IDENTIFIER
from support import pki
from support.login import Identity, login, signed_request
from support.pki import ec_key, random_nip, random_pesel
from support.server import TEST_START

pytestmark = [pytest.mark.anyio, pytest.mark.db]

NOW = TEST_START


def identity_named(*attributes: tuple[x509.ObjectIdentifier, str]) -> Identity:
    key = ec_key()
    name = x509.Name(
        [
            *(x509.NameAttribute(oid, value) for oid, value in attributes),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Spółka Testowa"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Spółka Testowa"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
        ]
    )
    return Identity._make(key, pki._build(name, key, now=NOW))


A, B = random_nip(), random_nip()
PESEL = random_pesel()


@pytest.mark.parametrize(
    "attributes",
    [
        [(ORGANIZATION_IDENTIFIER, f"VATPL-{A}"), (NameOID.SERIAL_NUMBER, f"TINPL-{B}")],
        [(NameOID.SERIAL_NUMBER, f"TINPL-{A}"), (NameOID.SERIAL_NUMBER, f"TINPL-{B}")],
        [(NameOID.SERIAL_NUMBER, f"PNOPL-{PESEL}"), (ORGANIZATION_IDENTIFIER, f"VATPL-{A}")],
        [(ORGANIZATION_IDENTIFIER, f"VATPL-{A}"), (ORGANIZATION_IDENTIFIER, f"VATPL-{B}")],
    ],
    ids=["vatpl-a-tinpl-b", "two-serial-numbers", "pesel-and-nip", "two-organization-identifiers"],
)
async def test_two_identities_are_refused(
    client: httpx.AsyncClient, attributes: list[tuple[x509.ObjectIdentifier, str]]
) -> None:
    identity = identity_named(*attributes)
    for context in (A, B):
        challenge = (await client.post("/v2/auth/challenge")).json()["challenge"]
        xml = signed_request(identity, challenge, context=context, now=NOW)
        response = await client.post(
            "/v2/auth/xades-signature", content=xml, headers={"Content-Type": "application/xml"}
        )
        assert response.status_code == 400, response.text
        [detail] = response.json()["exception"]["exceptionDetailList"]
        assert detail["exceptionCode"] == 21115
        assert detail["details"][0].startswith("Certyfikat wskazuje więcej niż jeden podmiot")


async def test_attributes_that_agree_are_accepted(client: httpx.AsyncClient) -> None:
    nip = random_nip()
    identity = identity_named((ORGANIZATION_IDENTIFIER, f"VATPL-{nip}"), (NameOID.SERIAL_NUMBER, f"TINPL-{nip}"))
    tokens = await login(client, identity, context=nip, now=NOW)
    assert tokens.access_token
