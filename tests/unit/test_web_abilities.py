"""What the MCU screens' menu offers (`server/web/abilities.py`): decided by the one table of required permissions,
per context type and permissions held."""

from __future__ import annotations

import pytest

from ksef_mcu.identifiers import ContextIdentifier, ContextIdentifierType, SubjectIdentifier, SubjectIdentifierType
from ksef_mcu.server.auth.model import OWNER_EFFECTIVE_PERMISSIONS, AuthenticationMethod, Principal
from ksef_mcu.server.permissions.required import required_permissions
from ksef_mcu.server.tokens.model import TOKEN_PERMISSIONS
from ksef_mcu.server.web.abilities import GRANT_TO_PERSONS, LIST_OWN, Abilities, abilities_of, allowed

NIP = "5260001039"


def principal(
    permissions: tuple[str, ...],
    *,
    context: ContextIdentifier | None = None,
    method: AuthenticationMethod = AuthenticationMethod.QUALIFIED_SIGNATURE,
) -> Principal:
    return Principal(
        reference_number="20260302-AU-0000000000-0000000000-00",
        context=context or ContextIdentifier(ContextIdentifierType.NIP, NIP),
        subject=SubjectIdentifier(SubjectIdentifierType.PESEL, "90010112345"),
        authentication_method=method,
        permissions=permissions,
    )


def abilities(caller: Principal) -> Abilities:
    return abilities_of(caller, required_permissions, TOKEN_PERMISSIONS)


def test_the_owner_may_use_everything() -> None:
    owner = abilities(principal(tuple(p.value for p in OWNER_EFFECTIVE_PERMISSIONS)))
    assert owner == Abilities(
        grant_to_persons=True,
        grant_to_entities=True,
        list_granted=True,
        list_own=True,
        revoke=True,
        tokens=True,
        generate_tokens=True,
    )
    assert owner.grant
    assert owner.permissions


def test_an_invoice_clerk_sees_own_permissions_and_tokens_only() -> None:
    clerk = abilities(principal(("InvoiceWrite",)))
    assert (clerk.grant, clerk.list_granted, clerk.revoke) == (False, False, False)
    assert (clerk.list_own, clerk.permissions, clerk.tokens, clerk.generate_tokens) == (True, True, True, True)


def test_credentials_read_lists_but_does_not_grant_or_revoke() -> None:
    reader = abilities(principal(("CredentialsRead",)))
    assert (reader.list_granted, reader.grant, reader.revoke) == (True, False, False)


@pytest.mark.parametrize("kind", [ContextIdentifierType.NIP_VAT_UE, ContextIdentifierType.PEPPOL_ID])
def test_no_tokens_outside_nip_and_internal_id_contexts(kind: ContextIdentifierType) -> None:
    value = f"{NIP}-DE123456789" if kind is ContextIdentifierType.NIP_VAT_UE else "PPL123456"
    eu = abilities(principal(("VatUeManage", "InvoiceWrite"), context=ContextIdentifier(kind, value)))
    assert (eu.tokens, eu.generate_tokens) == (False, False)
    internal = ContextIdentifier(ContextIdentifierType.INTERNAL_ID, f"{NIP}-00001")
    assert abilities(principal(("InvoiceRead",), context=internal)).generate_tokens


def test_a_token_login_may_not_generate_tokens() -> None:
    assert not abilities(principal(("InvoiceRead",), method=AuthenticationMethod.TOKEN)).generate_tokens


def test_an_operation_without_an_entry_is_never_offered() -> None:
    caller = principal(tuple(p.value for p in OWNER_EFFECTIVE_PERMISSIONS))
    assert allowed(caller, lambda endpoint: (), LIST_OWN)
    assert not allowed(caller, lambda endpoint: None, GRANT_TO_PERSONS)
    assert not abilities_of(caller, lambda endpoint: None, TOKEN_PERMISSIONS).permissions
