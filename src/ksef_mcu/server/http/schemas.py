"""What every JSON body of the `/v2` API shares: request and response base models, case-insensitive enums, the
`status` object. Each domain's `schemas.py` builds its bodies on these, field for field as `open-api.json` names them.

Requests ignore unknown fields and accept explicit `null` for optional ones (what real clients send); enum values are
matched case-insensitively because the official test-data scenarios write `"nip"`/`"pesel"`.
"""

from __future__ import annotations

import enum
from typing import Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict

__all__ = ["RequestModel", "ResponseModel", "StatusInfo", "case_insensitive"]

E = TypeVar("E", bound=enum.Enum)


def case_insensitive(enum_type: type[E]) -> BeforeValidator:
    """Accept an enum value in any letter case (`nip`, `NIP`, `Nip`)."""
    by_lower = {str(member.value).lower(): member.value for member in enum_type}

    def normalise(value: Any) -> Any:
        if isinstance(value, str):
            return by_lower.get(value.lower(), value)
        return value

    return BeforeValidator(normalise)


class RequestModel(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, str_strip_whitespace=False)


class ResponseModel(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class StatusInfo(ResponseModel):
    code: int
    description: str
    details: list[str] | None = None
