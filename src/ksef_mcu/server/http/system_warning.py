"""`X-Test-System-Warning` → `X-System-Warning` (the official TEST environment's echo, since API 2.6.0).

On TEST, a request carrying `X-Test-System-Warning: <text>` gets the text back in `X-System-Warning` on a successful
(2xx) response, so integrators can exercise their warning handling. The value is ASCII-folded, as the official header
is, and cut to `MAX_ECHO` characters (a server never echoes unbounded caller input). Installed in sandbox mode
only.
"""

from __future__ import annotations

import unicodedata

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_REQUEST_HEADER = b"x-test-system-warning"
_RESPONSE_HEADER = b"x-system-warning"
MAX_ECHO = 256
_SPECIAL = str.maketrans({"ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ß": "ss"})


def ascii_fold(text: str) -> str:
    """`Nieprawidłowy podpis` → `Nieprawidlowy podpis`; characters without an ASCII form are dropped."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPECIAL))
    return "".join(c for c in decomposed if c.isascii() and (c.isprintable() or c == " "))


class SystemWarningEcho:
    """Pure ASGI middleware: costs nothing for requests without the test header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        warning = next((value for name, value in scope["headers"] if name == _REQUEST_HEADER), None)
        if warning is None:
            await self.app(scope, receive, send)
            return
        folded = ascii_fold(warning[: MAX_ECHO * 4].decode("utf-8", errors="replace"))[:MAX_ECHO].encode("ascii")

        async def send_with_warning(message: Message) -> None:
            if message["type"] == "http.response.start" and 200 <= message["status"] < 300 and folded:
                message = {**message, "headers": [*message.get("headers", []), (_RESPONSE_HEADER, folded)]}
            await send(message)

        await self.app(scope, receive, send_with_warning)
