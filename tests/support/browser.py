"""Real Chromium for the browser tests: Debian's `/usr/bin/chromium` driven by Playwright, a static site serving our
JavaScript modules, a harness to call them, and a recorder of every request a page makes.

Playwright's own browser download cannot work here (no internet); `make test` and `.ci/run` install Debian's
`chromium` package when it is missing, and `launch_chromium` fails (never skips) without it.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
import http.server
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import ksef_mcu

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright, Request, WebSocket

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
STATIC_DIR = Path(ksef_mcu.__file__).resolve().parent / "server" / "web" / "static"
HARNESS_DIR = Path(__file__).resolve().parent.parent / "web" / "harness"
_WEBSOCKET_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#: The policy the MCU screens will send: scripts only from our own origin, nothing inline, no eval.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self'; style-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def launch_chromium(playwright: Playwright) -> Browser:
    """Headless Debian Chromium with the project's flags; RuntimeError (a clear one) when it is not installed."""
    if not CHROMIUM.is_file():
        raise RuntimeError(
            f"Chromium is not installed at {CHROMIUM}: the browser tests need it. Install it with "
            "`apt-get install -y chromium` (as root; `make test` does this itself when run as root)."
        )
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=list(CHROMIUM_ARGS))


class PlaywrightLoop:
    """Keeps Playwright's event loop out of the way of every other test in the same process.

    Playwright's sync API leaves its own event loop registered as the thread's *running* loop between calls
    (`_greenlets.wait_for_future` ends with `asyncio._set_running_loop(loop)`), so any `asyncio.run()` or anyio test
    after a browser test fails with "Cannot run the event loop while another loop is running". The web conftest parks
    the loop after each browser test and puts it back before the next Playwright call.
    """

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None

    def park(self) -> None:
        """Unregister the running loop (after a browser test)."""
        self._loop = asyncio._get_running_loop()
        asyncio._set_running_loop(None)

    def restore(self) -> None:
        """Register Playwright's loop again (before a browser test, or before shutting Playwright down)."""
        if self._loop is not None and not self._loop.is_closed():
            asyncio._set_running_loop(self._loop)


PLAYWRIGHT_LOOP = PlaywrightLoop()


# --- the static site ------------------------------------------------------------------------------------------------


class _StaticHandler(http.server.SimpleHTTPRequestHandler):
    """Serves `/static/` from the package and `/harness/` from the tests, with the screens' CSP; GET/HEAD only."""

    mounts: ClassVar[dict[str, Path]] = {}
    extensions_map: ClassVar[dict[str, str]] = {
        ".js": "text/javascript",
        ".html": "text/html; charset=utf-8",
        "": "application/octet-stream",
    }

    def do_GET(self) -> None:
        path = urllib.parse.urlsplit(self.path).path
        if path == "/favicon.ico":  # asked for by every page; none here
            self.send_response(204)
            self.end_headers()
        elif path == "/sink/websocket" and self.headers.get("Upgrade", "").lower() == "websocket":
            self._accept_websocket()
        else:
            super().do_GET()

    def do_POST(self) -> None:
        """`/sink/...` takes anything (for testing the request recorder); nothing else accepts a POST."""
        if not urllib.parse.urlsplit(self.path).path.startswith("/sink/"):
            self.send_error(405)
            return
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(204)
        self.end_headers()

    def _accept_websocket(self) -> None:
        """A WebSocket that takes frames and ignores them (RFC 6455 handshake only), for the recorder's tests."""
        digest = hashlib.sha1(self.headers["Sec-WebSocket-Key"].encode() + _WEBSOCKET_GUID).digest()
        self.protocol_version = "HTTP/1.1"  # browsers accept the upgrade only from an HTTP/1.1 status line
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", base64.b64encode(digest).decode())
        super().end_headers()
        self.wfile.flush()
        self.connection.settimeout(5)
        with contextlib.suppress(OSError):
            while self.connection.recv(4096):
                pass
        self.close_connection = True

    def translate_path(self, path: str) -> str:
        clean = urllib.parse.urlsplit(path).path
        for prefix, directory in self.mounts.items():
            if clean.startswith(prefix):
                target = (directory / urllib.parse.unquote(clean[len(prefix) :])).resolve()
                if target.is_relative_to(directory):
                    return str(target)
        return str(HARNESS_DIR / "missing")

    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


@contextmanager
def static_site(mounts: dict[str, Path] | None = None) -> Iterator[str]:
    """Serve `mounts` (URL prefix → directory; default `/static/` and `/harness/`) on a free local port; yield the
    base URL `http://127.0.0.1:PORT` (a secure context, so WebCrypto is available)."""
    handler = type(
        "Handler", (_StaticHandler,), {"mounts": mounts or {"/static/": STATIC_DIR, "/harness/": HARNESS_DIR}}
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    # Chromium keeps idle (pre)connections open; never wait for their threads when shutting down.
    server.daemon_threads = True
    server.block_on_close = False
    thread = threading.Thread(target=server.serve_forever, name="static-site", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# --- the harness ----------------------------------------------------------------------------------------------------


class BrowserError(Exception):
    """A JavaScript exception from the harness: `code` is WebCryptoError's code (None for other errors)."""

    def __init__(self, name: str, code: str | None, message: str, details: list[str]) -> None:
        super().__init__(f"{name}({code}): {message}")
        self.name = name
        self.code = code
        self.message = message
        self.details = details


_CALL = """async (arg) => {
  const k = window.ksef;
  try {
    const timeout = new Promise((_, fail) => setTimeout(() => fail(new Error("no answer within 60 s")), 60000));
    return { ok: await Promise.race([(async () => { %s })(), timeout]) };
  } catch (error) {
    const { name, message } = error;
    return { error: { name, message, code: error.code ?? null, details: error.details ?? [] } };
  }
}"""


@dataclass
class Harness:
    """The test page that loads every module (`window.ksef.<module>`), plus a way to run code against them."""

    page: Page
    console_errors: list[str] = field(default_factory=list)

    def run(self, body: str, argument: Any = None) -> Any:
        """Run the async function body `body` with `k` (the modules) and `arg`; return its JSON-able result.

        Raises `BrowserError` when it throws. Bytes cross as Base64 (`b64` / `k.pem.fromBase64`).
        """
        # The body is compiled by DevTools (not by page script), so the page's CSP forbidding eval does not apply.
        result = self.page.evaluate(_CALL % body, argument)
        if "error" in result:
            error = result["error"]
            raise BrowserError(error["name"], error["code"], error["message"], error["details"])
        return result.get("ok")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


# --- requests leaving the page ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedRequest:
    """One request a page made: what a server (or anyone on the way) would receive."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes


@dataclass
class RequestRecorder:
    """Every HTTP request, WebSocket opened and WebSocket frame sent by a browser context's pages, from `start()` on.

    Attach it to a context before its pages are opened; `network_requests` leaves out `blob:`/`data:` URLs, which
    never leave the browser (a WebSocket counts as a request, method `WEBSOCKET`). `assert_no_secrets` is the check
    the screens' tests reuse: private key, password and PKCS#8 structures must never appear in anything sent.
    """

    requests: list[RecordedRequest] = field(default_factory=list)
    websocket_frames: list[bytes] = field(default_factory=list)

    def attach(self, context: BrowserContext) -> RequestRecorder:
        context.on("request", self._on_request)
        context.on("page", lambda page: page.on("websocket", self._on_websocket))
        for page in context.pages:
            page.on("websocket", self._on_websocket)
        return self

    def start(self) -> None:
        """Forget what was recorded so far (e.g. loading the page itself)."""
        self.requests.clear()
        self.websocket_frames.clear()

    def _on_request(self, request: Request) -> None:
        body = request.post_data_buffer or b""
        self.requests.append(RecordedRequest(request.method, request.url, dict(request.headers), body))

    def _on_websocket(self, websocket: WebSocket) -> None:
        self.requests.append(RecordedRequest("WEBSOCKET", websocket.url, {}, b""))
        websocket.on("framesent", self._on_frame)

    def _on_frame(self, payload: str | bytes) -> None:
        self.websocket_frames.append(payload.encode() if isinstance(payload, str) else payload)

    @property
    def network_requests(self) -> list[RecordedRequest]:
        return [request for request in self.requests if not request.url.startswith(("blob:", "data:"))]

    def sent_blobs(self) -> list[bytes]:
        """Everything that left the browser, each as one byte string (request line, headers, body; frames)."""
        blobs = []
        for request in self.network_requests:
            head = f"{request.method} {request.url}\n" + "\n".join(f"{k}: {v}" for k, v in request.headers.items())
            blobs.append(head.encode() + b"\n\n" + request.body)
        return blobs + list(self.websocket_frames)

    def assert_no_secrets(self, secrets: dict[str, bytes]) -> None:
        """Fail when any sent blob carries one of `secrets` (name → bytes) or a PKCS#8 structure, in any common
        encoding (raw, Base64 at every alignment, Base64url, hex, percent-encoding)."""
        found = [
            f"{name} in {blob[:80]!r}"
            for blob in self.sent_blobs()
            for name, secret in {**secrets, **PKCS8_MARKERS}.items()
            if carries(blob, secret)
        ]
        assert not found, "secrets left the browser: " + "; ".join(found)


#: Byte strings found in every PKCS#8 structure (and in nothing a page legitimately sends): the PBES2 OID of
#: EncryptedPrivateKeyInfo, the PEM labels, and the start of an unencrypted PrivateKeyInfo for EC and RSA keys.
PKCS8_MARKERS: dict[str, bytes] = {
    "PBES2 OID": bytes.fromhex("06092a864886f70d01050d"),
    "PEM private key label": b"PRIVATE KEY-----",
    "EC PrivateKeyInfo header": bytes.fromhex("020100301306072a8648ce3d020106082a8648ce3d030107"),
    "RSA PrivateKeyInfo header": bytes.fromhex("020100300d06092a864886f70d0101010500"),
}


def _encodings(secret: bytes) -> set[bytes]:
    forms = {secret, binascii.hexlify(secret), binascii.hexlify(secret).upper()}
    forms.add(urllib.parse.quote_from_bytes(secret).encode())
    forms.add(urllib.parse.quote_plus(secret.decode("latin-1"), encoding="latin-1").encode())
    for shift in range(3):
        # Base64 of the secret when it starts at any offset mod 3 in a longer message: every character that the
        # secret's bits alone decide (encoding it between zero bytes and between 0xFF bytes gives the same
        # character exactly there). Characters that mix in the neighbours' bits are left out, and so is nothing
        # more: a marker's distinguishing last bytes (PBES2's 01 05 0D after the OID arc every PKCS#1 OID shares)
        # stay in the pattern.
        low = base64.b64encode(b"\0" * shift + secret + b"\0\0\0")
        high = base64.b64encode(b"\xff" * shift + secret + b"\xff\xff\xff")
        core, run_start = b"", None
        for index in range(len(low) + 1):
            if index < len(low) and low[index] == high[index] and low[index : index + 1] != b"=":
                run_start = index if run_start is None else run_start
            elif run_start is not None:
                core = max(core, low[run_start:index], key=len)
                run_start = None
        if len(core) >= 8:
            forms.update({core, core.replace(b"+", b"-").replace(b"/", b"_")})
    return {form for form in forms if form}


def carries(blob: bytes, secret: bytes) -> bool:
    """Whether `blob` contains `secret` raw or encoded (see `RequestRecorder.assert_no_secrets`)."""
    if len(secret) < 4:
        raise ValueError("a secret this short would match by chance")
    return any(form in blob for form in _encodings(secret))
