"""What every JSON body of the `/v2` API shares: request and response base models, case-insensitive enums, the
`status` object. Each domain's `schemas.py` builds its bodies on these, field for field as `open-api.json` names them.

Requests ignore unknown fields and accept explicit `null` for optional ones (what real clients send); enum values are
matched case-insensitively because the official test-data scenarios write `"nip"`/`"pesel"`.

Every request body is checked here before any domain sees it (`RequestModel._within_bounds`), whatever its fields:
no string carries a NUL character or a lone UTF-16 surrogate (PostgreSQL and UTF-8 refuse them; SQLite would store
them), no integer leaves int64, and every date-time converts to UTC inside `EARLIEST`…`LATEST` (edge values such as
`0001-01-01T00:00:00+14:00` overflow). Narrower bounds the contract names are annotations: `Int32` for its `int32`
fields and parameters (`INT32_MAX` for query parameters).
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

__all__ = [
    "EARLIEST",
    "INT32_MAX",
    "INT64_MAX",
    "LATEST",
    "Int32",
    "RequestModel",
    "ResponseModel",
    "StatusInfo",
    "case_insensitive",
    "value_problem",
]

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9998, 12, 31, 23, 59, 59, tzinfo=UTC)
"""Date-times a request may carry: wide enough for any real date, far enough from year 1 and 9999 that converting
to UTC or adding a certificate's validity never overflows."""

Int32 = Annotated[int, Field(ge=-(2**31), le=INT32_MAX)]
"""An integer the contract declares `int32`."""


def _string_problem(text: str) -> str | None:
    if "\x00" in text:
        return "nie może zawierać znaku NUL (\\u0000)"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "zawiera niesparowany znak zastępczy UTF-16 (np. \\ud800)"
    return None


def value_problem(value: Any) -> str | None:
    """Why `value` (a string, number, date-time, or a list or mapping of them) cannot be accepted, or None."""
    if isinstance(value, str):
        return _string_problem(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return None if -INT64_MAX - 1 <= value <= INT64_MAX else "liczba spoza zakresu 64-bitowego"
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return None if EARLIEST.replace(tzinfo=None) <= value <= LATEST.replace(tzinfo=None) else _DATE_RANGE
        try:
            in_utc = value.astimezone(UTC)
        except (OverflowError, ValueError):
            return _DATE_RANGE
        return None if EARLIEST <= in_utc <= LATEST else _DATE_RANGE
    if isinstance(value, (list, tuple, set, frozenset)):
        return next((problem for item in value if (problem := value_problem(item)) is not None), None)
    if isinstance(value, dict):
        return next(
            (
                problem
                for key, item in value.items()
                if (problem := value_problem(key) or value_problem(item)) is not None
            ),
            None,
        )
    return None


_DATE_RANGE = (
    f"data i czas muszą mieścić się w zakresie {EARLIEST:%Y-%m-%d} – {LATEST:%Y-%m-%d} (po przeliczeniu na UTC)"
)

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

    @field_validator("*", mode="after", check_fields=False)
    @classmethod
    def _within_bounds(cls, value: Any) -> Any:
        """Every field of every request body: see the module docstring."""
        problem = value_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value


class ResponseModel(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class StatusInfo(ResponseModel):
    code: int
    description: str
    details: list[str] | None = None
