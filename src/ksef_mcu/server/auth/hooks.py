"""Extension points of the login flow that other modules implement.

`LoginCertificateAuthority` — a module that issues certificates (the certificates module's CA) tells the login flow
about certificates it issued: who they belong to and whether they may log in now (active, Authentication type,
within validity). It runs inside the login's unit of work, so it may record the use (e.g. `lastUseDate`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from cryptography import x509
from sqlalchemy import Connection

from ksef_mcu.identifiers import SubjectIdentifier
from ksef_mcu.server.auth.model import CertificateProblem


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
