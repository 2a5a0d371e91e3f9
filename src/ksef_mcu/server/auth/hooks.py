"""What the login flow lets other parts of the server decide, and the one place it keeps them (`LoginHooks`).

- `LoginCertificateAuthority` — a part that issues certificates (the certificates domain's CA) tells the login
  flow about certificates it issued: who they belong to and whether they may log in now (active, Authentication
  type, within validity). It runs inside the login's unit of work, so it may record the use (e.g. `lastUseDate`).
- `PermissionResolver` — "may this subject act in this context, and with what": the test data's resolver today,
  the permissions domain's later.

`AuthenticationService` reads both from the `LoginHooks` it shares with the composition root on every login, so
replacing `components.permissions` or appending an authority takes effect at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from cryptography import x509
from sqlalchemy import Connection

from ksef_mcu.identifiers import ContextIdentifier, SubjectIdentifier
from ksef_mcu.server.auth.model import CertificateProblem, ContextPermissions, TokenProblem


@dataclass(frozen=True, slots=True)
class IssuedCertificateVerdict:
    """What the issuing module says about one of its certificates presented at login."""

    subject: SubjectIdentifier
    """Whom the certificate was issued to (NIP, PESEL, or the fingerprint of the certificate used at enrollment)."""
    problem: CertificateProblem | None = None
    """Why it may not log in (revoked, blocked, expired, Offline type, …), or None when it may."""


class LoginCertificateAuthority(Protocol):
    """A CA inside this server whose certificates log in as `InternalCertificate`."""

    def check_login_certificate(
        self, connection: Connection, certificate: x509.Certificate, *, now: datetime
    ) -> IssuedCertificateVerdict | None:
        """Return None if `certificate` was not issued here; otherwise the verdict (and record the use if allowed)."""
        ...


@dataclass(frozen=True, slots=True)
class Standing:
    """What the login and token decisions need to know about a subject in a context."""

    deceased: bool
    """The subject is a person marked deceased (then `permissions` is not looked up and is None)."""
    permissions: ContextPermissions | None
    """Its permissions in the context, or None when it holds none (it may not act there)."""


class PermissionResolver(Protocol):
    """Answers "may `subject` act in `context`, and with what" inside the caller's unit of work."""

    def standing(
        self, connection: Connection, context: ContextIdentifier, subject: SubjectIdentifier, *, complete: bool = True
    ) -> Standing:
        """Whether the subject is deceased and, if not, its permissions in the context.

        With `complete=False` the permissions only have to be right about None versus not None (the login
        decision), so an implementation may stop at the first permission it finds.
        """
        ...


@dataclass(frozen=True, slots=True)
class KsefTokenVerdict:
    """What the KSeF-token module says about a token presented at login."""

    reference_number: str
    author: SubjectIdentifier
    """Who generated the token: the login's subject."""
    context: ContextIdentifier
    """The context the token was generated in (the only one it opens)."""
    permissions: tuple[str, ...]
    """The permissions fixed when the token was generated."""
    problem: TokenProblem | None = None
    """Why it may not log in (revoked, inactive, unknown), or None when it may."""


class KsefTokenAuthority(Protocol):
    """The KSeF tokens this server generated (`/v2/tokens`): checked at `POST /auth/ksef-token`, and again at every
    redemption and refresh (a revoked token ends its sessions there)."""

    def check_login_token(self, connection: Connection, token: str, *, now: datetime) -> KsefTokenVerdict:
        """The verdict on a presented token (a token this server never made: `TokenProblem.INVALID`); records the
        use when it may log in."""
        ...

    def active_token_permissions(self, connection: Connection, reference_number: str) -> tuple[str, ...] | None:
        """The token's permissions while it is active, None once it is revoked (or gone)."""
        ...


@dataclass
class LoginHooks:
    """The login flow's hooks, shared by reference between the composition root and `AuthenticationService`."""

    permissions: PermissionResolver
    certificate_authorities: list[LoginCertificateAuthority] = field(default_factory=list)
    ksef_tokens: KsefTokenAuthority | None = None
