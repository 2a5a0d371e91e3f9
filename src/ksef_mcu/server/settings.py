"""Server settings: `KSEF_MCU_*` environment variables, overridable by `ksef-mcu serve` flags.

Durations are `timedelta`s; in the environment they are given in seconds (`KSEF_MCU_ACCESS_TOKEN_LIFETIME=900`) or as
ISO 8601 durations (`PT15M`).
"""

from __future__ import annotations

import enum
import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_SECONDS = re.compile(r"\s*\d+(\.\d+)?\s*")


def _seconds_from_text(value: Any) -> Any:
    # pydantic reads a number as seconds but a numeric *string* (what the environment gives) as an error.
    if isinstance(value, str) and _SECONDS.fullmatch(value):
        return float(value)
    return value


Duration = Annotated[timedelta, BeforeValidator(_seconds_from_text)]
"""A `timedelta` given as seconds (`900`, also as text) or as an ISO 8601 duration (`PT15M`)."""


class ServerMode(enum.StrEnum):
    """How much the server trusts its callers."""

    SANDBOX = "sandbox"
    """Like the official TEST environment: self-signed login certificates accepted, `/v2/testdata/*` enabled."""

    STRICT = "strict"
    """Only certificates that chain to a trust anchor (including our own CA) log in; no test data endpoints."""


class KsefTokenKeyType(enum.StrEnum):
    """The key type of the server's `KsefTokenEncryption` certificate."""

    RSA = "RSA"
    """RSA 2048: tokens are encrypted with RSA-OAEP SHA-256, the only way the API documentation describes and what the
    Ministry publishes."""
    EC = "EC"
    """EC P-256: the ECDH + AES-256-GCM variant the official clients implement (`EncryptionMethod.ECDsa`), for trying
    a client's EC path; both clients' layouts are accepted."""


class RateLimit(BaseModel):
    """Request limits over sliding windows; `None` means no limit for that window."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    per_second: int | None = Field(default=None, alias="perSecond", ge=1)
    per_minute: int | None = Field(default=None, alias="perMinute", ge=1)
    per_hour: int | None = Field(default=None, alias="perHour", ge=1)


def default_rate_limits() -> dict[str, RateLimit]:
    """The official default (production) limits per group, from `limity/limity-api.md` and the OpenAPI
    `x-rate-limits`. TEST has used the same values since API 2.5.0."""
    return {
        "public": RateLimit(per_second=60),
        "other": RateLimit(per_second=10, per_minute=30, per_hour=120),
        "invoice-send": RateLimit(per_second=10, per_minute=30, per_hour=180),
        "invoice-download": RateLimit(per_second=8, per_minute=16, per_hour=64),
        "session-list": RateLimit(per_second=5, per_minute=10, per_hour=60),
        "session-invoices": RateLimit(per_second=10, per_minute=20, per_hour=200),
        "session-invoice-status": RateLimit(per_second=30, per_minute=120, per_hour=1200),
        "session-other": RateLimit(per_second=10, per_minute=120, per_hour=1200),
    }


ENDPOINT_RATE_LIMIT_GROUPS: dict[str, str] = {
    "POST /v2/sessions/online/{referenceNumber}/invoices": "invoice-send",
    "GET /v2/invoices/ksef/{ksefNumber}": "invoice-download",
    "GET /v2/sessions": "session-list",
    "GET /v2/sessions/{referenceNumber}/invoices": "session-invoices",
    "GET /v2/sessions/{referenceNumber}/invoices/failed": "session-invoices",
    "GET /v2/sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}": "session-invoice-status",
    "GET /v2/sessions/{referenceNumber}": "session-other",
    "GET /v2/sessions/{referenceNumber}/invoices/ksef/{ksefNumber}/upo": "session-other",
    "GET /v2/sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}/upo": "session-other",
    "GET /v2/sessions/{referenceNumber}/upo/{upoReferenceNumber}": "session-other",
}
"""Endpoints behind an access token whose official limits differ from the "other" group's (`limity-api.md`, the
OpenAPI `x-rate-limits`; tests/api/test_rate_limit_groups.py compares every served operation with open-api.json).
Keys are `METHOD /v2/path/{template}` as the router spells them."""


def rate_limit_group(endpoint: str) -> str:
    """The limit group of a protected endpoint (`METHOD /v2/path/{template}`): its own, or "other"."""
    return ENDPOINT_RATE_LIMIT_GROUPS.get(endpoint, "other")


class SubjectCertificateLimits(BaseModel):
    """Default certificate limits for subjects identified by one kind of identifier (`limity/limity.md`)."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    max_enrollments: int = Field(alias="maxEnrollments", ge=0)
    """Enrollment requests allowed within `enrollment_limit_window`."""
    max_certificates: int = Field(alias="maxCertificates", ge=0)
    """Certificates held at once (active, future-dated, and accepted requests not yet issued)."""


def default_certificate_limits() -> dict[str, SubjectCertificateLimits]:
    """The official limits per authenticated subject, by identifier type (`Nip`, `Pesel`, `Fingerprint`)."""
    return {
        "Nip": SubjectCertificateLimits(max_enrollments=300, max_certificates=100),
        "Pesel": SubjectCertificateLimits(max_enrollments=12, max_certificates=6),
        "Fingerprint": SubjectCertificateLimits(max_enrollments=12, max_certificates=6),
    }


class ServerSettings(BaseSettings):
    """Everything the server needs to know at start-up.

    Every field can be set with an environment variable `KSEF_MCU_<FIELD NAME IN UPPER CASE>`.
    """

    model_config = SettingsConfigDict(env_prefix="KSEF_MCU_", extra="ignore", frozen=True)

    data_dir: Path = Path("data")
    """Directory with the SQLite database (when no URL is given), the server's keys and the generated secret."""

    database_url: str | None = None
    """SQLAlchemy URL, `sqlite:///…` or `postgresql+psycopg://…`; default: `<data_dir>/ksef-mcu.sqlite3`."""

    mode: ServerMode = ServerMode.SANDBOX

    secret: SecretStr | None = None
    """Passphrase that encrypts the server's private keys at rest. When unset, a random one is generated once and kept
    in `secret_file` (mode 0600)."""

    secret_file: Path | None = None
    """Where the generated passphrase lives; default `<data_dir>/secret`. Put it on another volume to keep key files
    and passphrase apart."""

    access_token_lifetime: Duration = timedelta(minutes=15)
    refresh_token_lifetime: Duration = timedelta(days=7)
    authentication_token_lifetime: Duration = timedelta(minutes=45)
    """Lifetime of the operation token returned by `/auth/xades-signature` (the official example: 2700 s)."""

    challenge_lifetime: Duration = timedelta(minutes=10)
    authentication_retention: Duration = timedelta(days=7)
    """How long `GET /auth/{referenceNumber}` answers before it says 410 Gone."""

    token_issuer: str = "ksef-mcu"  # noqa: S105 - an issuer name
    """`iss` and `aud` of every JWT this server issues."""

    rate_limits_enabled: bool = True
    rate_limits: dict[str, RateLimit] = Field(default_factory=default_rate_limits)
    """Per group (`public`, `other`, …); groups missing here fall back to the official defaults."""

    trust_anchors: list[Path] = Field(default_factory=list)
    """PEM files with CA certificates (roots and intermediates) that login certificates may chain to. Checked in
    strict mode and when a request asks for `verifyCertificateChain=true`; our own CA is added by its module."""

    housekeeping_interval: Duration = timedelta(minutes=10)
    """How often expired challenges and old authentication operations are deleted."""

    sqlite_busy_timeout: Duration = timedelta(seconds=5)
    """How long SQLite's own busy handler waits for a writer that does not take the server's writer queue."""
    database_lock_timeout: Duration = timedelta(seconds=5)
    """The longest a request waits for a lock (a row another transaction holds, SQLite's writer lock) or a pooled
    connection; then it is answered 503 with `Retry-After` and nothing is written."""
    database_idle_transaction_timeout: Duration = timedelta(seconds=60)
    """PostgreSQL ends a transaction left idle this long (a stopped process's), releasing its locks."""
    database_pool_size: int = Field(default=10, ge=1)
    database_threads: int = Field(default=8, ge=1, le=64)
    """Threads per process that run units of work for async routes and the issuance worker (`Database.call`)."""
    database_in_threads: bool = True
    """Kept for compatibility: units of work always run in worker threads, never on the event loop (a lock wait
    there would stall every request of the process; docs/performance.md has the cost)."""
    max_request_body_bytes: int = Field(default=1_048_576, ge=1024)
    """Bigger bodies are refused (413) before they are read, parsed or the caller authenticated (an
    AuthTokenRequest is a few kilobytes). A domain may allow more on its own paths (`app.state.body_limits`)."""
    ksef_token_key_type: KsefTokenKeyType = KsefTokenKeyType.RSA
    """The `KsefTokenEncryption` key: `RSA` (the default, as KSeF) or `EC` (`KSEF_MCU_KSEF_TOKEN_KEY_TYPE=EC`). Each
    type has its own key file, so switching back and forth keeps both keys."""
    trusted_proxies: list[str] = Field(default_factory=list)
    """Addresses or networks (`10.0.0.5`, `10.0.0.0/8`) of reverse proxies whose `X-Forwarded-For` and
    `X-Forwarded-Proto` are believed. Empty (the default): those headers are ignored and the peer's address is the
    client's. In the environment: a JSON list, `KSEF_MCU_TRUSTED_PROXIES='["127.0.0.1"]'`."""

    # --- the certificates domain ----------------------------------------------------------------------------------

    public_url: str | None = None
    """The server's address as clients reach it (e.g. `https://ksef.example.org`); issued certificates name
    `<public_url>/ca/crl` as their CRL distribution point. `ksef-mcu serve` defaults it to its host and port."""

    certificate_limits: dict[str, SubjectCertificateLimits] = Field(default_factory=default_certificate_limits)
    """Per identifier type (`Nip`, `Pesel`, `Fingerprint`); types missing here keep the official defaults. A subject's
    own limits from `/v2/testdata/limits/subject/certificate` take precedence."""

    enrollment_limit_window: Duration = timedelta(days=30)
    """Enrollment requests count against the limit for this long after they were made."""

    enrollment_retention: Duration = timedelta(days=30)
    """How long `GET /certificates/enrollments/{referenceNumber}` answers before it says 410 Gone."""

    max_valid_from_ahead: Duration = timedelta(days=90)
    """How far in the future `validFrom` may be."""

    issuance_worker: bool = True
    """Whether `ksef-mcu serve` issues certificates itself; set false when only `ksef-mcu worker` processes do."""

    issuance_batch_size: int = Field(default=64, ge=1, le=1000)
    """How many pending enrollments a worker claims at once."""

    issuance_batch_window: Duration = timedelta(milliseconds=20)
    """How long a worker woken by a new request waits for more before it claims a batch (0 = at once)."""

    issuance_claim_lease: Duration = timedelta(seconds=30)
    """How long a claim lasts: enrollments claimed by a worker that died are taken over after this."""

    issuance_poll_interval: Duration = timedelta(milliseconds=100)
    """How often an idle worker looks for work it was not told about: requests made by other processes on SQLite
    (PostgreSQL wakes workers with NOTIFY), claims whose lease ran out. A look is one indexed read."""

    crl_lifetime: Duration = timedelta(days=7)
    """`nextUpdate` of the CRL; it is re-signed when half of this has passed, and on every revocation."""

    # --- the sessions domain (online sessions, invoices, UPO) ----------------------------------------------------

    session_invoice_limit: int = Field(default=10_000, ge=1, le=10_000)
    """How many invoices one online session takes (21155 after that; KSeF: 10 000)."""

    session_lifetime: Duration = timedelta(hours=12)
    """An online session closes itself this long after it was opened (KSeF: 12 hours)."""

    invoice_batch_size: int = Field(default=64, ge=1, le=1000)
    """How many pending invoices a worker claims at once."""

    invoice_claim_lease: Duration = timedelta(seconds=30)
    """Invoices claimed by a worker that died are taken over after this."""

    # --- the web screens -------------------------------------------------------------------------------------------

    web_contact_url: str = "mailto:kontakt@localhost"
    """Where the screens' footer link "Skontaktuj się z nami" leads (`mailto:…` or `https://…`): set it to your
    operators' address."""

    web_session_idle_timeout: Duration = timedelta(minutes=20)
    """A screen session unused this long ends (the user logs in again)."""

    web_session_max_age: Duration = timedelta(hours=12)
    """No screen session lasts longer than this, however active."""

    web_secure_cookies: bool | None = None
    """The session cookie's Secure flag: unset (default) sets it exactly on HTTPS requests (behind a TLS proxy, run
    uvicorn with proxy headers so it sees the scheme); true or false forces it."""

    @field_validator("certificate_limits", mode="after")
    @classmethod
    def _fill_default_certificate_limits(
        cls, value: dict[str, SubjectCertificateLimits]
    ) -> dict[str, SubjectCertificateLimits]:
        unknown = set(value) - set(default_certificate_limits())
        if unknown:
            raise ValueError(f"unknown identifier types {sorted(unknown)}; use Nip, Pesel, Fingerprint")
        return {**default_certificate_limits(), **value}

    @property
    def resolved_public_url(self) -> str:
        """`public_url` without a trailing slash (default `http://127.0.0.1:8000`)."""
        return (self.public_url or "http://127.0.0.1:8000").rstrip("/")

    @field_validator("rate_limits", mode="after")
    @classmethod
    def _fill_default_rate_limits(cls, value: dict[str, RateLimit]) -> dict[str, RateLimit]:
        return {**default_rate_limits(), **value}

    @property
    def resolved_database_url(self) -> str:
        """The database URL in use: the configured one, or the SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'ksef-mcu.sqlite3').resolve()}"

    @property
    def resolved_secret_file(self) -> Path:
        return self.secret_file or self.data_dir / "secret"

    @property
    def keys_dir(self) -> Path:
        """Directory with the server's keys and certificates (encrypted private keys, PEM certificates)."""
        return self.data_dir / "keys"
