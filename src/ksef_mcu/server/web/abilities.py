"""What a logged-in person may do on the MCU screens, decided by the same rules as the `/v2` API: each screen action
names the API operation it performs, and the one table of required permissions (`permissions/required.py`, read
through `components.required_permissions`) says who may call it. The menu shows only what the person may use;
a screen opened by its address without the permission is refused with a page (`ScreenRefusedError`).

The services keep their own rules on top (only permissions one holds can be granted, whose token may be revoked);
this module only decides what is offered. A screen refuses an action it does not offer with `ScreenRefusedError`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ksef_mcu.server.auth.model import AuthenticationMethod, Principal
from ksef_mcu.server.tokens.model import TOKEN_CONTEXT_PREFIXES

__all__ = [
    "GRANT_TO_ENTITIES",
    "GRANT_TO_PERSONS",
    "LIST_GRANTED",
    "LIST_OWN",
    "OPERATION_STATUS",
    "REVOKE",
    "TOKENS_GENERATE",
    "TOKENS_LIST",
    "TOKENS_REVOKE",
    "Abilities",
    "RequiredPermissions",
    "abilities_of",
    "allowed",
]

RequiredPermissions = Callable[[str], tuple[str, ...] | None]
"""`METHOD /v2/path/{template}` → the permissions of which one is needed (`()`: none; None: no entry, refused)."""

GRANT_TO_PERSONS = "POST /v2/permissions/persons/grants"
GRANT_TO_ENTITIES = "POST /v2/permissions/entities/grants"
LIST_GRANTED = "POST /v2/permissions/query/persons/grants"
LIST_OWN = "POST /v2/permissions/query/personal/grants"
REVOKE = "DELETE /v2/permissions/common/grants/{permissionId}"
OPERATION_STATUS = "GET /v2/permissions/operations/{referenceNumber}"
TOKENS_GENERATE = "POST /v2/tokens"
TOKENS_LIST = "GET /v2/tokens"
TOKENS_REVOKE = "DELETE /v2/tokens/{referenceNumber}"


def allowed(principal: Principal, required: RequiredPermissions, endpoint: str) -> bool:
    """Whether `principal` may call `endpoint` by the table: no entry → no; an empty entry → anyone logged in."""
    needed = required(endpoint)
    if needed is None:
        return False
    return not needed or any(permission in principal.permissions for permission in needed)


@dataclass(frozen=True, slots=True)
class Abilities:
    """What the menu offers the logged-in person."""

    grant_to_persons: bool
    grant_to_entities: bool
    list_granted: bool
    list_own: bool
    revoke: bool
    tokens: bool
    """The "Tokeny" screens: tokens exist only in Nip and InternalId contexts."""
    generate_tokens: bool

    @property
    def grant(self) -> bool:
        return self.grant_to_persons or self.grant_to_entities

    @property
    def permissions(self) -> bool:
        """The "Uprawnienia" menu entry."""
        return self.grant or self.list_granted or self.list_own


def abilities_of(principal: Principal, required: RequiredPermissions, token_permissions: tuple[str, ...]) -> Abilities:
    """`token_permissions`: what a token may be given (`TOKEN_PERMISSIONS`); generating needs one of them held."""
    tokens = principal.context.type in TOKEN_CONTEXT_PREFIXES and allowed(principal, required, TOKENS_LIST)
    return Abilities(
        grant_to_persons=allowed(principal, required, GRANT_TO_PERSONS),
        grant_to_entities=allowed(principal, required, GRANT_TO_ENTITIES),
        list_granted=allowed(principal, required, LIST_GRANTED),
        list_own=allowed(principal, required, LIST_OWN),
        revoke=allowed(principal, required, REVOKE),
        tokens=tokens,
        generate_tokens=(
            tokens
            and principal.authentication_method is not AuthenticationMethod.TOKEN
            and allowed(principal, required, TOKENS_GENERATE)
            and any(permission in principal.permissions for permission in token_permissions)
        ),
    )
