"""50 grants and revocations of one subject's permissions at once leave a consistent state (SQLite and PostgreSQL):
every operation ends with a final status, no permission is held twice, and what logins see is what queries list."""

from __future__ import annotations

import threading
from collections import Counter

import httpx
import pytest
from fastapi import FastAPI

from ksef_mcu.identifiers import ContextIdentifier, ContextIdentifierType, SubjectIdentifier, SubjectIdentifierType
from ksef_mcu.server.auth.tokens import TokenKind
from ksef_mcu.server.permissions.model import Identifier, OperationStatusCode
from ksef_mcu.server.permissions.repository import PermissionGrantRepository
from ksef_mcu.server.permissions.service import SubjectInput
from support.login import Identity, login
from support.pki import random_nip, random_pesel
from support.server import TEST_START

pytestmark = [pytest.mark.anyio, pytest.mark.db]

CONCURRENT = 50
PERSON = {"person": {"subjectDetailsType": "PersonByIdentifier", "firstName": "Jan", "lastName": "Wyścigowy"}}


async def test_fifty_concurrent_grants_and_revocations(app: FastAPI, client: httpx.AsyncClient) -> None:
    company = random_nip()
    tokens = await login(client, Identity.person_with_nip(now=TEST_START, nip=company), context=company, now=TEST_START)
    components = app.state.components
    principal = components.tokens.verify(
        tokens.access_token, kinds=(TokenKind.ACCESS,), now=components.clock.now()
    ).principal()
    service = components.permission_service
    pesel = random_pesel()
    subject = SubjectInput("Pesel", pesel, PERSON)
    # Something to revoke from the start.
    service.grant_to_person(principal, subject, ["InvoiceRead", "InvoiceWrite"], "Stan początkowy")

    start = threading.Barrier(CONCURRENT)
    references: list[str] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def held_ids() -> list[str]:
        with components.database.read() as connection:
            records = PermissionGrantRepository(connection).find_for_subject(
                Identifier("Nip", company), Identifier("Pesel", pesel)
            )
        return [record.permission_id for record in records]

    def act(index: int) -> None:
        try:
            start.wait()
            if index % 2:
                permissions = ["InvoiceRead"] if index % 4 == 1 else ["InvoiceRead", "InvoiceWrite"]
                reference = service.grant_to_person(principal, subject, permissions, f"Nadanie {index:02d}")
            else:
                ids = held_ids()
                reference = service.revoke(principal, ids[index % len(ids)] if ids else "0" * 36)
            with lock:
                references.append(reference)
        except BaseException as error:
            with lock:
                failures.append(error)

    threads = [threading.Thread(target=act, args=(index,)) for index in range(CONCURRENT)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    assert len(references) == CONCURRENT

    codes = Counter(service.operation(principal, reference).outcome.code for reference in references)
    assert set(codes) <= {OperationStatusCode.SUCCEEDED, OperationStatusCode.FAILED}
    assert codes[OperationStatusCode.SUCCEEDED] >= CONCURRENT // 2  # every grant succeeds

    context = ContextIdentifier(ContextIdentifierType.NIP, company)
    person = SubjectIdentifier(SubjectIdentifierType.PESEL, pesel)
    with components.database.read() as connection:
        repository = PermissionGrantRepository(connection)
        records = repository.find_for_subject(Identifier("Nip", company), Identifier("Pesel", pesel))
        held = repository.permissions_held(context, person)
    kinds = Counter(record.permission_type for record in records)
    assert all(count == 1 for count in kinds.values()), kinds
    assert sorted(kinds) == held

    # A last grant after the storm lands exactly once, beside whatever survived.
    final = service.grant_to_person(principal, subject, ["InvoiceRead", "InvoiceWrite"], "Stan końcowy")
    assert service.operation(principal, final).outcome.code is OperationStatusCode.SUCCEEDED
    with components.database.read() as connection:
        repository = PermissionGrantRepository(connection)
        after = repository.find_for_subject(Identifier("Nip", company), Identifier("Pesel", pesel))
        assert repository.permissions_held(context, person) == ["InvoiceRead", "InvoiceWrite"]
    assert sorted(record.permission_type for record in after) == ["InvoiceRead", "InvoiceWrite"]
    assert {record.description for record in after} == {"Stan końcowy"}
