"""Static files of the web screens (CSS, JavaScript modules, images), served with cache headers.

`StaticAssets` serves files from one or more package directories under one URL prefix, looked up in order (an
application's own folder first, then the toolkit's). Each file is read once and kept with its SHA-256:

- `url(path)` gives `<prefix>/<path>?v=<hash>`; a request whose `v` matches the file is cacheable for a year
  (`immutable`), so a changed file is a new URL and browsers never run stale code;
- any other request (ES modules importing each other by relative path carry no version) gets `no-cache` with an
  ETag: the browser revalidates and gets `304 Not Modified` while the file is unchanged.

Only known file types are served, never a directory listing, never a path outside the directories.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

__all__ = ["CONTENT_TYPES", "StaticAssets"]

CONTENT_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".json": "application/json",
}
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


@dataclass(frozen=True, slots=True)
class _Asset:
    body: bytes
    content_type: str
    version: str

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


class StaticAssets:
    """Files under `url_prefix` (e.g. `/static`), from `directories` in order."""

    def __init__(self, url_prefix: str, directories: Sequence[Path]) -> None:
        if not url_prefix.startswith("/") or url_prefix.endswith("/"):
            raise ValueError(f"a URL prefix starts with '/' and does not end with one: {url_prefix!r}")
        self.url_prefix = url_prefix
        self.directories = [directory.resolve() for directory in directories]
        self._cache: dict[str, _Asset | None] = {}
        self._lock = threading.Lock()

    def _find(self, path: str) -> _Asset | None:
        with self._lock:
            if path in self._cache:
                return self._cache[path]
        asset = None
        content_type = CONTENT_TYPES.get(Path(path).suffix.lower())
        if content_type is not None and "\\" not in path and "\0" not in path:
            for directory in self.directories:
                candidate = (directory / path).resolve()
                if candidate.is_relative_to(directory) and candidate.is_file():
                    body = candidate.read_bytes()
                    asset = _Asset(body, content_type, hashlib.sha256(body).hexdigest()[:16])
                    break
        with self._lock:
            if len(self._cache) < 4096:  # unknown paths are remembered too, but not without bound
                self._cache[path] = asset
        return asset

    def url(self, path: str) -> str:
        """The versioned URL of `path` (relative to the directories). Raises `LookupError` if there is no such file."""
        asset = self._find(path)
        if asset is None:
            raise LookupError(f"no static file {path!r} in {self.directories}")
        return f"{self.url_prefix}/{path}?v={asset.version}"

    async def endpoint(self, request: Request) -> Response:
        path = request.path_params["path"]
        asset = self._find(path)
        if asset is None:
            raise HTTPException(404)
        cache_control = IMMUTABLE if request.query_params.get("v") == asset.version else REVALIDATE
        headers = {
            "ETag": asset.etag,
            "Cache-Control": cache_control,
            "X-Content-Type-Options": "nosniff",
            "Cross-Origin-Resource-Policy": "same-origin",
        }
        presented = request.headers.get("if-none-match", "").split(",")
        if asset.etag in [tag.strip().removeprefix("W/") for tag in presented]:
            return Response(status_code=304, headers=headers)
        body = b"" if request.method == "HEAD" else asset.body
        response = Response(body, media_type=asset.content_type, headers=headers)
        if request.method == "HEAD":
            response.headers["Content-Length"] = str(len(asset.body))
        return response

    def route(self, name: str | None = None) -> Route:
        return Route(f"{self.url_prefix}/{{path:path}}", self.endpoint, methods=["GET", "HEAD"], name=name)
