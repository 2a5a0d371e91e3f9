"""Trust anchors for login certificates, and the chain check used in strict mode or on `verifyCertificateChain=true`.

Anchors come from several places — PEM files named in settings, and providers registered by modules (the
certificates domain registers our own CA) — so the store asks its providers every time instead of copying them.
Revocation of certificates issued by our CA is the certificates domain's business (its login hook); OCSP/CRL of
external CAs is not consulted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol

from cryptography import x509
from cryptography.exceptions import InvalidSignature

from ksef_mcu.crypto.compat import tolerate_ksef_quirks
from ksef_mcu.server.auth.model import CertificateProblem

MAX_CHAIN_LENGTH = 6


class TrustAnchorProvider(Protocol):
    """Something that knows CA certificates to trust (roots and intermediates)."""

    def trust_anchors(self) -> Sequence[x509.Certificate]: ...


class StaticTrustAnchors:
    """A fixed list of CA certificates."""

    def __init__(self, certificates: Iterable[x509.Certificate] = ()) -> None:
        self._certificates = tuple(certificates)

    def trust_anchors(self) -> Sequence[x509.Certificate]:
        return self._certificates

    @classmethod
    def from_pem_files(cls, paths: Iterable[Path]) -> StaticTrustAnchors:
        """Every certificate in the given PEM files. Raises `ValueError` naming the file that cannot be read."""
        certificates: list[x509.Certificate] = []
        for path in paths:
            try:
                certificates.extend(x509.load_pem_x509_certificates(path.read_bytes()))
            except (OSError, ValueError) as error:
                raise ValueError(f"cannot read trust anchors from {path}: {error}") from error
        return cls(certificates)


def certificate_time_problem(certificate: x509.Certificate, *, now: datetime) -> CertificateProblem | None:
    """`INVALID` when `now` is outside the certificate's validity period."""
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        return CertificateProblem.INVALID
    return None


def _names(certificate: x509.Certificate) -> tuple[x509.Name, x509.Name]:
    """(subject, issuer), parsed inside `tolerate_ksef_quirks` (a Polish name longer than 64 bytes must not raise
    cryptography's warning); only the parsing holds its process-wide lock, never a signature check."""
    with tolerate_ksef_quirks():
        return certificate.subject, certificate.issuer


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        return False
    return constraints.ca


def _issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        certificate.verify_directly_issued_by(issuer)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


class TrustStore:
    """All trust anchors known to the server (a pluggable list of providers)."""

    def __init__(self, providers: Iterable[TrustAnchorProvider] = ()) -> None:
        self._providers: list[TrustAnchorProvider] = list(providers)

    def add_provider(self, provider: TrustAnchorProvider) -> None:
        self._providers.append(provider)

    def anchors(self) -> list[x509.Certificate]:
        return [certificate for provider in self._providers for certificate in provider.trust_anchors()]

    def check_chain(self, leaf: x509.Certificate, *, now: datetime) -> CertificateProblem | None:
        """Whether `leaf` chains to an anchor, each certificate valid at `now` and signed by the next.

        Returns None when it does; `UNTRUSTED_CHAIN` when no anchor issued it (self-signed test certificates);
        `CHAIN_VERIFICATION_FAILED` when an issuer by name exists but the chain is broken (bad signature, expired or
        non-CA intermediate).
        """
        anchors = self.anchors()
        if any(leaf == anchor for anchor in anchors):
            return None
        subjects = [_names(anchor)[0] for anchor in anchors]
        current = leaf
        for _ in range(MAX_CHAIN_LENGTH):
            current_issuer = _names(current)[1]
            candidates = [
                anchor for anchor, subject in zip(anchors, subjects, strict=True) if subject == current_issuer
            ]
            if not candidates:
                # Nothing we trust names itself as the issuer. Having climbed at least one step means `current` is a
                # trusted intermediate, which is an anchor in its own right.
                return None if current is not leaf else CertificateProblem.UNTRUSTED_CHAIN
            issuer = next((candidate for candidate in candidates if _issued_by(current, candidate)), None)
            if issuer is None or not _is_ca(issuer) or certificate_time_problem(issuer, now=now) is not None:
                return CertificateProblem.CHAIN_VERIFICATION_FAILED
            issuer_subject, issuer_issuer = _names(issuer)
            if issuer_subject == issuer_issuer:
                return None  # a self-signed root we trust
            current = issuer
        return CertificateProblem.CHAIN_VERIFICATION_FAILED
