"""Models of the API tag "Certyfikaty klucza publicznego": the Ministry of Finance's public-key certificates."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime

from pydantic import Field

from ksef_mcu.client.models.common import Base64Bytes, CertificateDer, UtcDatetime

__all__ = ["PublicKeyCertificate", "PublicKeyCertificateUsage", "select_public_key_certificate"]


class PublicKeyCertificateUsage(enum.StrEnum):
    """`PublicKeyCertificateUsage`: what an MF public key may encrypt."""

    KSEF_TOKEN_ENCRYPTION = "KsefTokenEncryption"  # noqa: S105 - an enum value, not a secret
    SYMMETRIC_KEY_ENCRYPTION = "SymmetricKeyEncryption"


class PublicKeyCertificate(CertificateDer):
    """`PublicKeyCertificate`: an MF public-key certificate (DER) and what it may encrypt."""

    der: Base64Bytes = Field(alias="certificate")
    certificate_id: str
    public_key_id: str
    valid_from: UtcDatetime
    valid_to: UtcDatetime
    usage: tuple[PublicKeyCertificateUsage | str, ...]

    def is_valid_at(self, now: datetime) -> bool:
        """True when `now` (timezone-aware) lies within the certificate's validity."""
        return self.valid_from <= now <= self.valid_to


def select_public_key_certificate(
    certificates: Sequence[PublicKeyCertificate], usage: PublicKeyCertificateUsage, *, now: datetime
) -> PublicKeyCertificate | None:
    """KSeF's selection rule: of the certificates with `usage` valid at `now`, the one with the latest `valid_from`."""
    candidates = [item for item in certificates if usage in item.usage and item.is_valid_at(now)]
    return max(candidates, key=lambda item: item.valid_from, default=None)
