"""Forms on the web screens: reading them safely (size limits, CSRF) and collecting errors per field.

Every state-changing request carries the session's CSRF token, in the form field `csrf_token` or, for requests a
page's script makes, the `X-CSRF-Token` header; `read_form` refuses anything else with `CsrfError` before the
route sees the data. Sessions are SameSite=Strict as well, so a forged request from another site arrives without the
session at all — the token is the second, independent guard.

`FormErrors` keeps one or more Polish messages per field; the `forms.html` macros render each field with its label,
hint and errors tied together by `aria-describedby`, mark it `aria-invalid`, and list every error in a summary at the
top whose links lead to the fields (the toolkit's `forms.js` moves the focus to the first one).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from dataclasses import dataclass, field

from starlette.datastructures import UploadFile
from starlette.requests import Request

from ksef_mcu.web.errors import CsrfError, PayloadTooLargeError
from ksef_mcu.web.sessions import Session, session_of

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "FieldError",
    "FormErrors",
    "SubmittedForm",
    "Upload",
    "check_csrf",
    "read_form",
]

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def _token_matches(session: Session, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(str(presented).encode(), session.csrf_token.encode())


def check_csrf(request: Request, form_token: str | None = None) -> None:
    """Raise `CsrfError` unless the request carries this session's CSRF token (the header, else `form_token`)."""
    session = session_of(request)
    presented = request.headers.get(CSRF_HEADER) or form_token
    if not _token_matches(session, presented):
        raise CsrfError()


@dataclass(frozen=True, slots=True)
class Upload:
    """A file that came with a form, read whole (forms are size-limited, so this is bounded)."""

    filename: str
    content_type: str
    data: bytes


class SubmittedForm:
    """A form as submitted: text fields (each name may repeat) and uploaded files, already read and closed."""

    def __init__(self, fields: list[tuple[str, str]], files: list[tuple[str, Upload]]) -> None:
        self._fields = fields
        self._files = files

    def text(self, name: str, *, strip: bool = True) -> str:
        """The first value of a text field ('' when absent)."""
        for key, value in self._fields:
            if key == name:
                return value.strip() if strip else value
        return ""

    def texts(self, name: str) -> list[str]:
        """Every value of a text field that repeats (checkboxes sharing a name)."""
        return [value for key, value in self._fields if key == name]

    def file(self, name: str) -> Upload | None:
        """The uploaded file, or None when nothing (or an empty selection) was sent."""
        for key, upload in self._files:
            if key == name and (upload.filename or upload.data):
                return upload
        return None

    def files(self, name: str) -> list[Upload]:
        """Every file uploaded under `name` (an `<input type="file" multiple>`), empty selections left out."""
        return [upload for key, upload in self._files if key == name and (upload.filename or upload.data)]

    def __contains__(self, name: str) -> bool:
        return any(key == name for key, _ in self._fields) or any(key == name for key, _ in self._files)


async def read_form(request: Request, *, max_bytes: int, max_files: int = 4, max_fields: int = 64) -> SubmittedForm:
    """The request's form (urlencoded or multipart), CSRF-checked. Raises `PayloadTooLargeError` when the body is
    over `max_bytes` (by its Content-Length, or while reading) and `CsrfError` for a wrong or missing token."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise PayloadTooLargeError(max_bytes)
    size = 0
    chunks: list[bytes] = []
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise PayloadTooLargeError(max_bytes)
        chunks.append(chunk)
    body = b"".join(chunks)

    async def replay() -> dict[str, object]:
        return {"type": "http.request", "body": body, "more_body": False}

    # Starlette's parsers on the body we already read and measured; files are read into memory and closed at once.
    parsed = await Request(request.scope, replay).form(
        max_files=max_files, max_fields=max_fields, max_part_size=max_bytes
    )
    fields: list[tuple[str, str]] = []
    files: list[tuple[str, Upload]] = []
    try:
        for key, value in parsed.multi_items():
            if isinstance(value, UploadFile):
                data = await value.read()
                files.append((key, Upload(value.filename or "", value.content_type or "", data)))
            else:
                fields.append((key, value))
    finally:
        await parsed.close()
    form = SubmittedForm(fields, files)
    check_csrf(request, form.text(CSRF_FIELD, strip=False) or None)
    return form


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str


@dataclass
class FormErrors:
    """Polish messages per field (`""` for the form as a whole), in the order they were found."""

    messages: dict[str, list[str]] = field(default_factory=dict)

    def add(self, field_name: str, message: str) -> None:
        self.messages.setdefault(field_name, []).append(message)

    def extend(self, field_name: str, messages: list[str] | tuple[str, ...]) -> None:
        for message in messages:
            self.add(field_name, message)

    def of(self, field_name: str) -> list[str]:
        return self.messages.get(field_name, [])

    def __bool__(self) -> bool:
        return any(self.messages.values())

    def __iter__(self) -> Iterator[FieldError]:
        for field_name, messages in self.messages.items():
            for message in messages:
                yield FieldError(field_name, message)
