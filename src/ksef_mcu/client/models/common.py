"""What the models of every API tag share: the base model, the checked field types, `StatusInfo` and `TokenInfo`."""

from __future__ import annotations

import base64
import binascii
import enum
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cached_property
from typing import Annotated, Self, TypeVar

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, PrivateAttr
from pydantic.alias_generators import to_camel

from ksef_mcu.client.errors import KsefInvalidInputError, SystemWarning
from ksef_mcu.crypto.certificates import load_der_certificate

__all__ = [
    "Base64Bytes",
    "CertificateDer",
    "KsefModel",
    "ReferenceNumber",
    "SerialNumber",
    "StatusInfo",
    "TextList",
    "TokenInfo",
    "UtcDatetime",
    "parse_enum",
]

_E = TypeVar("_E", bound=enum.StrEnum)


def parse_enum(cls: type[_E], value: _E | str, *, field: str, label: str) -> _E:
    """The member of `cls` named by `value`, matched case-insensitively (`offline` → `Offline`).

    Raises `KsefInvalidInputError` naming `label` (Polish, genitive) and the allowed values.
    """
    if isinstance(value, cls):
        return value
    if isinstance(value, str):
        wanted = value.strip().replace("-", "").replace("_", "").lower()
        for member in cls:
            if member.value.lower() == wanted:
                return member
    allowed = ", ".join(member.value for member in cls)
    raise KsefInvalidInputError(f"Nieprawidłowa wartość {label}: {value!r}. Dozwolone: {allowed}.", field=field)


# --- field types --------------------------------------------------------------------------------------------------


def _as_utc(moment: datetime) -> datetime:
    # KSeF writes offsets on API dates; its legacy timestamps have none and are UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _decode_base64(value: object) -> object:
    if isinstance(value, str):
        try:
            return base64.b64decode("".join(value.split()), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("not valid Base64") from exc
    return value


def _null_to_empty(value: object) -> object:
    return () if value is None else value


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]
ReferenceNumber = Annotated[str, Field(min_length=36, max_length=36)]
SerialNumber = Annotated[str, Field(pattern=r"^[0-9A-F]{16}$")]
Base64Bytes = Annotated[
    bytes,
    BeforeValidator(_decode_base64),
    PlainSerializer(lambda data: base64.b64encode(data).decode("ascii"), return_type=str, when_used="json"),
]
TextList = Annotated[tuple[str, ...], BeforeValidator(_null_to_empty)]


class KsefModel(BaseModel):
    """Base of the response models: camelCase aliases, unknown fields ignored, immutable.

    `system_warnings` holds the `X-System-Warning`s that came with the response the model was read from.
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="ignore",
        frozen=True,
    )

    _system_warnings: tuple[SystemWarning, ...] = PrivateAttr(default=())

    @property
    def system_warnings(self) -> tuple[SystemWarning, ...]:
        """Warnings KSeF attached to the response (`X-System-Warning`), in order; usually empty."""
        return self._system_warnings

    def with_system_warnings(self, warnings: Sequence[SystemWarning]) -> Self:
        """This model, carrying `warnings` (set once by the client when it reads a response)."""
        self._system_warnings = tuple(warnings)
        return self


class CertificateDer(KsefModel):
    """A model carrying a DER certificate in `der`, with PEM and `cryptography` views of it."""

    der: Base64Bytes

    @property
    def pem(self) -> str:
        """The certificate as PEM text (`-----BEGIN CERTIFICATE-----`, 64-column Base64, final newline)."""
        return self.certificate.public_bytes(Encoding.PEM).decode("ascii")

    @cached_property
    def certificate(self) -> x509.Certificate:
        """The parsed certificate. Raises `CertificateError` (a `ValueError`) if the DER is not a certificate."""
        return load_der_certificate(self.der)


class StatusInfo(KsefModel):
    """`StatusInfo` of an asynchronous operation: 100 in progress, 200 done, 4xx/5xx failed (not HTTP statuses)."""

    code: int
    description: str
    details: TextList = ()

    @property
    def in_progress(self) -> bool:
        """True while the operation is still being processed (codes 100–199)."""
        return 100 <= self.code < 200

    @property
    def succeeded(self) -> bool:
        """True when the operation finished successfully (code 200)."""
        return self.code == 200

    @property
    def failed(self) -> bool:
        """True when the operation ended without success (any other code)."""
        return not self.in_progress and not self.succeeded


class TokenInfo(KsefModel):
    """`TokenInfo`: a JWT and the moment it stops being valid (UTC)."""

    token: Annotated[str, Field(min_length=1)]
    valid_until: UtcDatetime

    def __repr__(self) -> str:
        return f"TokenInfo(token='…', valid_until={self.valid_until.isoformat()!r})"

    __str__ = __repr__
