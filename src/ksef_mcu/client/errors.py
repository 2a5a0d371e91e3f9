"""The client's error tree, and the parsers that build it from KSeF responses.

Every error derives from `KsefClientError`; its `message` is Polish and safe to show to a person.

```
KsefClientError
├── KsefApiError                  KSeF answered with an HTTP error status (both error body formats)
│   ├── KsefAuthError             401: missing, invalid or expired token (after the one automatic refresh)
│   ├── KsefForbiddenError        403: `reason_code` (missing-permissions, ip-not-allowed, ...) and `security`
│   ├── KsefGoneError             410: the status of an asynchronous operation is past its retention period
│   └── KsefRateLimitError        429: `retry_after` seconds
├── KsefOperationError            an asynchronous operation ended with a failure status (HTTP 200, status.code ≥ 300)
│   ├── KsefAuthenticationFailedError   `GET /auth/{ref}` ended with 415/425/450/460/470/480/500/550
│   └── KsefEnrollmentFailedError       `GET /certificates/enrollments/{ref}` ended with 400/500/550
├── KsefPollingTimeoutError       an operation was still in progress when the caller's timeout ran out
├── KsefNotAuthenticatedError     no usable tokens: log in first, or the refresh token expired or was revoked
├── KsefInvalidInputError         the caller's input breaks an API rule; nothing was sent (also a `ValueError`)
└── KsefResponseError             a success response whose body does not match the API contract
```

Transport failures (connection refused, timeouts) are not wrapped: they stay `httpx.TransportError`s, raised after
the retries allowed for the call are used up.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

__all__ = [
    "ApiErrorDetail",
    "KsefApiError",
    "KsefAuthError",
    "KsefAuthenticationFailedError",
    "KsefClientError",
    "KsefEnrollmentFailedError",
    "KsefForbiddenError",
    "KsefGoneError",
    "KsefInvalidInputError",
    "KsefNotAuthenticatedError",
    "KsefOperationError",
    "KsefPollingTimeoutError",
    "KsefRateLimitError",
    "KsefResponseError",
    "SystemWarning",
    "parse_error_response",
    "parse_retry_after",
    "parse_system_warnings",
]

# One warning inside `X-System-Warning`: `[code]: message`; several are joined with ` | `.
_SYSTEM_WARNING = re.compile(r"\[(?P<code>[^\]]+)\]:\s*(?P<message>[^|]*)")
_BODY_EXCERPT_LENGTH = 500


@dataclass(frozen=True, slots=True)
class SystemWarning:
    """A technical warning KSeF attached to a response (`X-System-Warning`); it does not change the result."""

    code: str | None
    message: str

    def __str__(self) -> str:
        return f"[{self.code}]: {self.message}" if self.code else self.message


@dataclass(frozen=True, slots=True)
class ApiErrorDetail:
    """One error of a KSeF error body: the exception code, its description and the validator details."""

    code: int | None
    description: str
    details: tuple[str, ...] = ()

    def __str__(self) -> str:
        head = f"{self.code}: {self.description}" if self.code is not None else self.description
        return f"{head} ({'; '.join(self.details)})" if self.details else head


class KsefClientError(Exception):
    """Root of every error raised by `ksef_mcu.client`; `message` is Polish and safe to show to a person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class KsefInvalidInputError(KsefClientError, ValueError):
    """The caller's input breaks a rule of the API (`field` names it); the request was not sent."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class KsefNotAuthenticatedError(KsefClientError):
    """A protected call needs tokens the client does not have: log in (again)."""


class KsefResponseError(KsefClientError):
    """A success response whose body does not match the API contract (not JSON, missing or invalid fields)."""

    def __init__(self, message: str, *, http_status: int, method: str, url: str, problems: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.method = method
        self.url = url
        self.problems = tuple(problems)


class KsefApiError(KsefClientError):
    """KSeF answered with an HTTP error status.

    Built from either error format: the legacy `{"exception": {"exceptionDetailList": [...]}}` body, the legacy 429
    `{"status": {...}}` body, or `application/problem+json` (400/401/403/410/429). `errors` holds every error of the
    body in order; `code`, `description` and `details` are shortcuts to the first one. `reference_number` and
    `service_code` come from the legacy body, `trace_id`/`instance`/`title`/`detail` from problem details.
    """

    def __init__(
        self,
        message: str,
        *,
        http_status: int,
        method: str = "",
        url: str = "",
        errors: Iterable[ApiErrorDetail] = (),
        title: str | None = None,
        detail: str | None = None,
        instance: str | None = None,
        trace_id: str | None = None,
        timestamp: str | None = None,
        reference_number: str | None = None,
        service_code: str | None = None,
        service_context: str | None = None,
        service_name: str | None = None,
        reason_code: str | None = None,
        security: Mapping[str, Any] | None = None,
        retry_after: float | None = None,
        warnings: Iterable[SystemWarning] = (),
        body_excerpt: str | None = None,
    ) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.method = method
        self.url = url
        self.errors = tuple(errors)
        self.title = title
        self.detail = detail
        self.instance = instance
        self.trace_id = trace_id
        self.timestamp = timestamp
        self.reference_number = reference_number
        self.service_code = service_code
        self.service_context = service_context
        self.service_name = service_name
        self.reason_code = reason_code
        self.security: dict[str, Any] = dict(security or {})
        self.retry_after = retry_after
        self.warnings = tuple(warnings)
        self.body_excerpt = body_excerpt

    @property
    def code(self) -> int | None:
        """The KSeF exception code of the first error (e.g. 21405, 25007), or None when the body has none."""
        return self.errors[0].code if self.errors else None

    @property
    def codes(self) -> tuple[int, ...]:
        """Every KSeF exception code in the body, in order."""
        return tuple(error.code for error in self.errors if error.code is not None)

    @property
    def description(self) -> str:
        """The first error's description, else the problem's `detail` or `title`, else the HTTP status."""
        if self.errors:
            return self.errors[0].description
        return self.detail or self.title or f"HTTP {self.http_status}"

    @property
    def details(self) -> tuple[str, ...]:
        """The details of every error, flattened in order."""
        return tuple(detail for error in self.errors for detail in error.details)

    def has_code(self, code: int) -> bool:
        """True when any error of the body carries the KSeF exception `code`."""
        return code in self.codes


class KsefAuthError(KsefApiError):
    """401: the token is missing, invalid or expired, and the one automatic refresh did not help."""


class KsefForbiddenError(KsefApiError):
    """403: authenticated but not allowed; `reason_code` says why and `security` carries its data."""


class KsefGoneError(KsefApiError):
    """410: the status of an asynchronous operation is no longer kept (past its retention period)."""


class KsefRateLimitError(KsefApiError):
    """429: too many requests; wait `retry_after` seconds (None when KSeF did not say) before trying again."""


class KsefOperationError(KsefClientError):
    """An asynchronous KSeF operation ended with a failure status (`status.code`, `description`, `details`)."""

    def __init__(
        self,
        message: str,
        *,
        reference_number: str,
        status_code: int,
        description: str,
        details: Iterable[str] = (),
    ) -> None:
        super().__init__(message)
        self.reference_number = reference_number
        self.status_code = status_code
        self.description = description
        self.details = tuple(details)


class KsefAuthenticationFailedError(KsefOperationError):
    """The authentication operation ended with a failure status (415 no permissions, 460 certificate error, ...)."""


class KsefEnrollmentFailedError(KsefOperationError):
    """The certificate enrollment was rejected (400) or failed (500, 550: cancelled by the system, try again)."""


class KsefPollingTimeoutError(KsefClientError):
    """The operation `reference_number` was still in progress (`last_status_code`) after `timeout` seconds."""

    def __init__(
        self, message: str, *, reference_number: str, timeout: float, last_status_code: int | None = None
    ) -> None:
        super().__init__(message)
        self.reference_number = reference_number
        self.timeout = timeout
        self.last_status_code = last_status_code


# --- parsers ------------------------------------------------------------------------------------------------------


def parse_system_warnings(header_values: Iterable[str]) -> tuple[SystemWarning, ...]:
    """The warnings in `X-System-Warning` header values (`[code]: message | [code]: message`).

    A value that does not follow the format is kept whole as one warning without a code.
    """
    warnings: list[SystemWarning] = []
    for value in header_values:
        text = value.strip()
        if not text:
            continue
        matches = list(_SYSTEM_WARNING.finditer(text))
        if not matches:
            warnings.append(SystemWarning(code=None, message=text))
            continue
        warnings.extend(
            SystemWarning(code=match["code"].strip(), message=match["message"].strip()) for match in matches
        )
    return tuple(warnings)


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds to wait from a `Retry-After` value: delay-seconds (KSeF's form) or an HTTP date; None if unusable."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if moment.tzinfo is None:
            return None
        seconds = (moment - now).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _integer(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _texts(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(item) for item in value if item is not None)
    return ()


def _error_detail(code: object, description: object, details: object) -> ApiErrorDetail:
    return ApiErrorDetail(code=_integer(code), description=_text(description) or "", details=_texts(details))


def _error_class(http_status: int) -> type[KsefApiError]:
    return {401: KsefAuthError, 403: KsefForbiddenError, 410: KsefGoneError, 429: KsefRateLimitError}.get(
        http_status, KsefApiError
    )


def _message(http_status: int, errors: tuple[ApiErrorDetail, ...], fallback: str | None) -> str:
    head = f"KSeF odrzucił żądanie (HTTP {http_status})"
    if errors:
        return f"{head}: " + "; ".join(str(error) for error in errors)
    return f"{head}: {fallback}" if fallback else f"{head}."


def parse_error_response(
    *,
    http_status: int,
    body: bytes,
    content_type: str | None = None,
    retry_after: float | None = None,
    method: str = "",
    url: str = "",
    warnings: Iterable[SystemWarning] = (),
    reason_phrase: str | None = None,
) -> KsefApiError:
    """The `KsefApiError` (subclass by HTTP status) for an error response in any KSeF error format.

    Never raises: a body that is not JSON or has no known shape still gives an error with the HTTP status, the
    reason phrase and an excerpt of the body.
    """
    cls = _error_class(http_status)
    common: dict[str, Any] = {
        "http_status": http_status,
        "method": method,
        "url": url,
        "retry_after": retry_after,
        "warnings": tuple(warnings),
    }
    try:
        document: object = json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        document = None
    if not isinstance(document, dict):
        excerpt = body[:_BODY_EXCERPT_LENGTH].decode("utf-8", errors="replace").strip() or None
        fallback = reason_phrase or (content_type and f"odpowiedź {content_type.split(';')[0]}") or None
        return cls(_message(http_status, (), fallback), body_excerpt=excerpt, **common)

    exception = document.get("exception")
    if isinstance(exception, dict):  # legacy ExceptionResponse
        raw_errors = exception.get("exceptionDetailList")
        errors = tuple(
            _error_detail(item.get("exceptionCode"), item.get("exceptionDescription"), item.get("details"))
            for item in (raw_errors if isinstance(raw_errors, list) else [])
            if isinstance(item, dict)
        )
        return cls(
            _message(http_status, errors, reason_phrase),
            errors=errors,
            reference_number=_text(exception.get("referenceNumber")),
            service_code=_text(exception.get("serviceCode")),
            service_context=_text(exception.get("serviceCtx")),
            service_name=_text(exception.get("serviceName")),
            timestamp=_text(exception.get("timestamp")),
            **common,
        )

    status = document.get("status")
    if isinstance(status, dict):  # legacy TooManyRequestsResponse: {"status": {code, description, details}}
        errors = (_error_detail(status.get("code"), status.get("description"), status.get("details")),)
        return cls(_message(http_status, errors, reason_phrase), errors=errors, **common)

    # application/problem+json (BadRequest/Unauthorized/Forbidden/Gone/TooManyRequests ProblemDetails)
    raw_errors = document.get("errors")
    errors = tuple(
        _error_detail(item.get("code"), item.get("description"), item.get("details"))
        for item in (raw_errors if isinstance(raw_errors, list) else [])
        if isinstance(item, dict)
    )
    detail = _text(document.get("detail"))
    title = _text(document.get("title"))
    security = document.get("security")
    return cls(
        _message(http_status, errors, detail or title or reason_phrase),
        errors=errors,
        title=title,
        detail=detail,
        instance=_text(document.get("instance")),
        trace_id=_text(document.get("traceId")),
        timestamp=_text(document.get("timestamp")),
        reason_code=_text(document.get("reasonCode")),
        security=security if isinstance(security, dict) else None,
        **common,
    )
