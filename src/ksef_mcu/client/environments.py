"""The KSeF environments the client can talk to and their API base URLs.

`local` is our own server (`ksef-mcu serve`); `test`, `demo` and `prod` are the Ministry of Finance's TEST (TE),
DEMO (TR, pre-production) and production (PRD) environments. Every path of the API is relative to the base URL,
which already ends in the `/v2` version segment.
"""

from __future__ import annotations

import enum

from ksef_mcu.client.errors import KsefInvalidInputError
from ksef_mcu.crypto.qr import QR_BASE_URLS, QrEnvironment

__all__ = [
    "API_BASE_URLS",
    "Environment",
    "normalize_base_url",
    "qr_base_url_for",
]


class Environment(enum.StrEnum):
    """A KSeF environment; the value is the name used on the command line and in profile files."""

    LOCAL = "local"
    TEST = "test"
    DEMO = "demo"
    PROD = "prod"

    @property
    def api_base_url(self) -> str:
        """The API base URL (scheme, host and the `/v2` segment, no trailing slash)."""
        return API_BASE_URLS[self]

    @property
    def qr_base_url(self) -> str:
        """The base URL of the environment's QR verification pages (KOD I / KOD II links), no trailing slash."""
        return QR_BASE_URLS[QrEnvironment(self.value)]

    @property
    def is_official(self) -> bool:
        """True for the Ministry's environments (TEST, DEMO, PROD), False for our own server."""
        return self is not Environment.LOCAL

    @classmethod
    def parse(cls, value: Environment | str) -> Environment:
        """The environment named by `value` (case-insensitive). Raises `KsefInvalidInputError` for an unknown name."""
        if isinstance(value, Environment):
            return value
        try:
            return cls(value.strip().lower())
        except ValueError:
            names = ", ".join(environment.value for environment in cls)
            raise KsefInvalidInputError(
                f"Nieznane środowisko KSeF: {value!r}. Dostępne: {names}.", field="environment"
            ) from None


API_BASE_URLS: dict[Environment, str] = {
    Environment.LOCAL: "http://127.0.0.1:8000/v2",
    Environment.TEST: "https://api-test.ksef.mf.gov.pl/v2",
    Environment.DEMO: "https://api-demo.ksef.mf.gov.pl/v2",
    Environment.PROD: "https://api.ksef.mf.gov.pl/v2",
}


def normalize_base_url(base_url: str) -> str:
    """`base_url` without a trailing slash, with `/v2` appended when it does not end in it already.

    Raises `KsefInvalidInputError` for anything that is not an absolute http(s) URL.
    """
    url = base_url.strip().rstrip("/")
    scheme, separator, rest = url.partition("://")
    if not separator or scheme.lower() not in ("http", "https") or not rest or rest.startswith("/"):
        raise KsefInvalidInputError(
            f"Nieprawidłowy adres API KSeF: {base_url!r} (oczekiwano adresu http:// lub https://).", field="base_url"
        )
    return url if url.endswith("/v2") else url + "/v2"


def qr_base_url_for(environment: Environment | str, api_base_url: str | None = None) -> str:
    """The base URL of the QR verification pages that KOD I / KOD II links for `environment` use.

    The Ministry's environments have their fixed QR hosts. Our own server (`local`) serves the pages under `/qr` beside
    its API: for `api_base_url` (the server actually used, e.g. `http://127.0.0.1:9000/v2`) that is its address with
    `/v2` replaced by `/qr`; without one, `ksef-mcu serve`'s default `http://127.0.0.1:8000/qr`.
    Raises `KsefInvalidInputError` for an `api_base_url` that is not an http(s) URL.
    """
    env = Environment.parse(environment)
    if env is not Environment.LOCAL or api_base_url is None:
        return env.qr_base_url
    return normalize_base_url(api_base_url).removesuffix("/v2") + "/qr"
