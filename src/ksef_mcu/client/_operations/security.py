"""API tag "Certyfikaty klucza publicznego": the Ministry of Finance's public keys."""

from __future__ import annotations

from pydantic import TypeAdapter

from ksef_mcu.client._core import ApiRequest, Flow, call, parse_adapter
from ksef_mcu.client._faces import D, Face, operation
from ksef_mcu.client.models.security import PublicKeyCertificate

__all__ = ["SecurityOperations"]

_PUBLIC_KEY_CERTIFICATES = TypeAdapter(list[PublicKeyCertificate])


class SecurityOperations(Face[D]):
    """The Ministry of Finance's public keys."""

    @operation
    def public_key_certificates(self) -> Flow[list[PublicKeyCertificate]]:
        """`GET /security/public-key-certificates` (no login needed)."""
        request = ApiRequest("GET", "/security/public-key-certificates", idempotent=True)
        return parse_adapter((yield from call(self._state, request)), _PUBLIC_KEY_CERTIFICATES, request)
