"""`/v2/security/public-key-certificates`: HTTP only."""

from __future__ import annotations

import base64
from typing import Annotated, Protocol

from fastapi import APIRouter, Depends

from ksef_mcu.server.http.deps import HttpComponents, PublicCall, public_call
from ksef_mcu.server.keys import ServerKeys
from ksef_mcu.server.security.schemas import PublicKeyCertificate, PublicKeyCertificateUsage


class SecurityComponents(HttpComponents, Protocol):
    """What these routes read from the components."""

    @property
    def keys(self) -> ServerKeys: ...


Public = Annotated[PublicCall[SecurityComponents], Depends(public_call())]

security_router = APIRouter(prefix="/v2", tags=["Certyfikaty klucza publicznego"])


@security_router.get("/security/public-key-certificates", summary="Pobranie certyfikatów")
async def public_key_certificates(call: Public) -> list[PublicKeyCertificate]:
    components = call.components
    return [
        PublicKeyCertificate(
            certificate=base64.b64encode(entry.certificate_der).decode("ascii"),
            certificate_id=entry.certificate_id,
            public_key_id=entry.public_key_id,
            valid_from=entry.certificate.not_valid_before_utc,
            valid_to=entry.certificate.not_valid_after_utc,
            usage=[PublicKeyCertificateUsage(entry.usage.value)],
        )
        for entry in components.keys.encryption_certificates
    ]
