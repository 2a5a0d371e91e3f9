"""What the benchmark load generators share: a minimal HTTP/1.1 client and test-environment login identities.

The client must cost far less than the server it measures: httpx spends milliseconds of CPU per request, which on a
2-core machine shared with the server would measure the client.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec

from ksef_mcu.crypto.self_signed import TestSubject, build_self_signed_certificate
from ksef_mcu.crypto.xades import XadesSigner


def person_signer(nip: str, now: datetime) -> XadesSigner:
    """A self-signed person certificate for `nip` (as the test environment accepts) and its EC P-256 key."""
    key = ec.generate_private_key(ec.SECP256R1())
    return XadesSigner(key, build_self_signed_certificate(key, TestSubject.person_by_nip(nip), now=now))


class HttpConnection:
    """One kept-alive HTTP/1.1 connection, opened on first use; requests on it are sequential."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, body: bytes = b"", *, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        """Send one request; returns the status code and the body."""
        status, _, content = await self.request_with_headers(method, path, body, headers=headers)
        return status, content

    async def request_with_headers(
        self, method: str, path: str, body: bytes = b"", *, headers: dict[str, str] | None = None
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """Send one request; returns the status code, the headers (names in lower case) and the body."""
        if self._reader is None or self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
        )
        self._writer.write(head.encode("ascii") + body)
        lines = (await self._reader.readuntil(b"\r\n\r\n")).split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = 0
        response_headers = []
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            response_headers.append((name.strip().lower().decode("latin-1"), value.strip().decode("latin-1")))
            if name.strip().lower() == b"content-length":
                length = int(value)
        return status, response_headers, await self._reader.readexactly(length) if length else b""

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            await self._writer.wait_closed()
