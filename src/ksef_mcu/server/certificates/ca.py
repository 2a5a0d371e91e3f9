"""The CA hierarchy on disk: created on first start, loaded on every start, shared by every process.

The keys live in the server's key store (`<data_dir>/keys`, see `ksef_mcu.server.keys`), encrypted with the server's
passphrase like its other keys:

    keys/ca-root.key  keys/ca-root.crt        the sandbox root (EC P-256, self-signed, 25 years)
    keys/ca-issuing.key  keys/ca-issuing.crt  the issuing CA (EC P-256, signed by the root, 10 years)

Creation is safe when several processes start at once (the key store's lock; files appear atomically). Every
process that shares the data directory — API processes, `ksef-mcu worker` — therefore uses the same CA. The issuing
certificate is renewed (same key, signed again by the root) when less than `ISSUING_RENEWAL_MARGIN` is left, so an
issued certificate (2 years, starting up to 90 days ahead) always fits inside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ksef_mcu.crypto.keys import KeyKind
from ksef_mcu.server.certificates.issuer import Issuer, build_issuing_certificate, build_root_certificate
from ksef_mcu.server.keys import KeyStore, KeyStoreError

ROOT_KEY_NAME = "ca-root"
ISSUING_KEY_NAME = "ca-issuing"
ROOT_RENEWAL_MARGIN = timedelta(days=365 * 11)
ISSUING_RENEWAL_MARGIN = timedelta(days=365 * 3)


@dataclass(frozen=True)
class CertificateAuthority:
    """The loaded hierarchy: the issuer (holding the issuing key) and the two CA certificates."""

    issuer: Issuer
    root_certificate: x509.Certificate

    @property
    def issuing_certificate(self) -> x509.Certificate:
        return self.issuer.certificate

    @property
    def chain(self) -> tuple[x509.Certificate, x509.Certificate]:
        """Issuing CA first, then the root (the order a TLS-style chain file uses)."""
        return (self.issuer.certificate, self.root_certificate)

    def chain_pem(self) -> bytes:
        """The issuing CA and the root as concatenated PEM."""
        return b"".join(certificate.public_bytes(serialization.Encoding.PEM) for certificate in self.chain)

    def trust_anchors(self) -> tuple[x509.Certificate, ...]:
        """For the login trust store: certificates issued here chain to these."""
        return self.chain


def _ec_key(store: KeyStore, name: str) -> ec.EllipticCurvePrivateKey:
    key = store.load_or_create_key(name, KeyKind.EC_P256)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise KeyStoreError(f"{store.key_path(name)} is not an EC P-256 key")
    return key


def _check_pair(store: KeyStore, name: str, key: ec.EllipticCurvePrivateKey, certificate: x509.Certificate) -> None:
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    ours = key.public_key().public_bytes(serialization.Encoding.DER, spki)
    theirs = certificate.public_key().public_bytes(serialization.Encoding.DER, spki)
    if ours != theirs:
        raise KeyStoreError(f"{store.certificate_path(name)} does not belong to {store.key_path(name)}")


def open_certificate_authority(store: KeyStore, *, now: datetime, crl_url: str) -> CertificateAuthority:
    """Load the CA hierarchy from `store`, creating or renewing what is missing or about to expire.

    Raises `KeyStoreError` when the files cannot be opened (wrong passphrase) or do not belong together.
    """
    root_key = _ec_key(store, ROOT_KEY_NAME)
    root = store.load_or_create_certificate(
        ROOT_KEY_NAME, partial(build_root_certificate, root_key, now=now), now=now, renewal_margin=ROOT_RENEWAL_MARGIN
    )
    _check_pair(store, ROOT_KEY_NAME, root_key, root)
    issuing_key = _ec_key(store, ISSUING_KEY_NAME)
    issuing = store.load_or_create_certificate(
        ISSUING_KEY_NAME,
        partial(build_issuing_certificate, issuing_key.public_key(), root_key=root_key, root_certificate=root, now=now),
        now=now,
        renewal_margin=ISSUING_RENEWAL_MARGIN,
    )
    _check_pair(store, ISSUING_KEY_NAME, issuing_key, issuing)
    try:
        issuing.verify_directly_issued_by(root)
    except (InvalidSignature, ValueError, TypeError) as error:
        raise KeyStoreError(
            f"{store.certificate_path(ISSUING_KEY_NAME)} was not issued by the root in this store"
        ) from error
    return CertificateAuthority(Issuer(issuing_key, issuing, crl_url=crl_url), root)
