"""API tag "Tokeny KSeF": generate, list, read and revoke KSeF tokens (logging in with one is `auth`'s)."""

from __future__ import annotations

from collections.abc import Sequence

from ksef_mcu.client._core import ApiRequest, Auth, ClientState, Flow, call, parse_model
from ksef_mcu.client._faces import D, Face, Page, listing, operation
from ksef_mcu.client.errors import KsefInvalidInputError
from ksef_mcu.client.models.common import parse_enum
from ksef_mcu.client.models.tokens import (
    GeneratedKsefToken,
    KsefTokenInfo,
    KsefTokenPage,
    KsefTokenPermission,
    KsefTokenStatus,
)
from ksef_mcu.client.validation import validate_page_size, validate_reference_number

__all__ = ["TokensOperations"]

PAGE_SIZE_MIN, PAGE_SIZE_MAX = 10, 100


class TokensOperations(Face[D]):
    """KSeF tokens of the current context."""

    @operation
    def generate(self, permissions: Sequence[KsefTokenPermission | str], description: str) -> Flow[GeneratedKsefToken]:
        """`POST /tokens`: a new token with a fixed subset of your permissions. The token is in the answer only:
        keep it safe (it is a secret). Raises `KsefApiError` 26001 (a permission you lack) or 26002 (context)."""
        chosen = [parse_enum(KsefTokenPermission, p, field="permissions", label="uprawnienia") for p in permissions]
        if not chosen:
            raise KsefInvalidInputError("Wybierz co najmniej jedno uprawnienie tokena.", field="permissions")
        if not isinstance(description, str) or not 5 <= len(description) <= 256:
            raise KsefInvalidInputError("Opis tokena musi mieć od 5 do 256 znaków.", field="description")
        body = {"permissions": [p.value for p in chosen], "description": description}
        request = ApiRequest("POST", "/tokens", auth=Auth.ACCESS, json=body)
        return parse_model((yield from call(self._state, request)), GeneratedKsefToken, request)

    @listing
    def list(
        self,
        *,
        statuses: Sequence[KsefTokenStatus | str] = (),
        description: str | None = None,
        page_size: int = PAGE_SIZE_MAX,
    ) -> Flow[Page[KsefTokenInfo]]:
        """`GET /tokens` (all pages, newest first): the tokens you may see."""
        validate_page_size(page_size, minimum=PAGE_SIZE_MIN, maximum=PAGE_SIZE_MAX)
        chosen = [parse_enum(KsefTokenStatus, s, field="statuses", label="statusu") for s in statuses]
        return _pages(self._state, [s.value for s in chosen], description, page_size, None)

    @operation
    def get(self, reference_number: str) -> Flow[KsefTokenInfo]:
        """`GET /tokens/{ref}`."""
        reference_number = validate_reference_number(reference_number)
        request = ApiRequest("GET", f"/tokens/{reference_number}", auth=Auth.ACCESS, idempotent=True)
        return parse_model((yield from call(self._state, request)), KsefTokenInfo, request)

    @operation
    def revoke(self, reference_number: str) -> Flow[None]:
        """`DELETE /tokens/{ref}`: the token stops working at its next login, redemption or refresh."""
        reference_number = validate_reference_number(reference_number)
        yield from call(
            self._state, ApiRequest("DELETE", f"/tokens/{reference_number}", auth=Auth.ACCESS, idempotent=True)
        )


def _pages(
    state: ClientState, statuses: list[str], description: str | None, page_size: int, continuation: str | None
) -> Flow[Page[KsefTokenInfo]]:
    params: dict[str, str | int | list[str]] = {"pageSize": page_size}
    if statuses:
        params["status"] = statuses
    if description:
        params["description"] = description
    request = ApiRequest(
        "GET",
        "/tokens",
        auth=Auth.ACCESS,
        idempotent=True,
        params=params,
        headers={"x-continuation-token": continuation} if continuation else None,
    )
    page = parse_model((yield from call(state, request)), KsefTokenPage, request)
    following = page.continuation_token if page.continuation_token and page.tokens else None
    if following is None:
        return Page(page.tokens)
    return Page(page.tokens, _pages(state, statuses, description, page_size, following))
