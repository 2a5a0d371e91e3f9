"""JSON bodies of `/v2/security/*`, field for field as `open-api.json` names them."""

from __future__ import annotations

import enum
from datetime import datetime

from pydantic import Field

from ksef_mcu.server.http.schemas import ResponseModel


class PublicKeyCertificateUsage(enum.StrEnum):
    KSEF_TOKEN_ENCRYPTION = "KsefTokenEncryption"  # noqa: S105 - an enum value
    SYMMETRIC_KEY_ENCRYPTION = "SymmetricKeyEncryption"


class PublicKeyCertificate(ResponseModel):
    certificate: str
    certificate_id: str = Field(alias="certificateId")
    public_key_id: str = Field(alias="publicKeyId")
    valid_from: datetime = Field(alias="validFrom")
    valid_to: datetime = Field(alias="validTo")
    usage: list[PublicKeyCertificateUsage]
