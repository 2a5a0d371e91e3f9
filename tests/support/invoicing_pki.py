"""Certificates as the KSeF environments issue them, for Obsługa Faktur's upload checks: a CA named like our
server's (O=ksef-mcu) and one named like the Ministry's TEST CA, each issuing Type 1 / Type 2 certificates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    NoEncryption,
    PrivateFormat,
    pkcs12,
)
from cryptography.x509.oid import NameOID

from ksef_mcu.crypto.certificates import ORGANIZATION_IDENTIFIER, KsefCertificateType
from ksef_mcu.crypto.keys import PrivateKey, encrypt_private_key
from support.pki import ec_key, ksef_key_usage

PASSWORD = "Haslo-Do-Klucza-2026"


def _name(organization: str, unit: str, common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


LOCAL_CA_NAME = _name("ksef-mcu", "Sandbox KSeF", "ksef-mcu CCK KSeF")
TEST_CA_NAME = _name("Ministerstwo Finansów", "Krajowa Administracja Skarbowa", "TEST CCK KSeF")
FOREIGN_CA_NAME = _name("Jakiś Urząd Certyfikacji", "Kwalifikowane", "Qualified CA 1")


@dataclass(frozen=True)
class Issued:
    certificate: x509.Certificate
    key: PrivateKey

    @property
    def pem(self) -> bytes:
        return self.certificate.public_bytes(Encoding.PEM)

    @property
    def der(self) -> bytes:
        return self.certificate.public_bytes(Encoding.DER)

    def key_file(self, password: str | None = PASSWORD) -> bytes:
        if password is None:
            return self.key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        return encrypt_private_key(self.key, password)

    def pkcs12(self, password: str = PASSWORD) -> bytes:
        return pkcs12.serialize_key_and_certificates(
            b"ksef", self.key, self.certificate, None, BestAvailableEncryption(password.encode())
        )

    def save(self, folder: Path, name: str) -> tuple[Path, Path]:
        crt, key = folder / f"{name}.crt", folder / f"{name}.key"
        crt.write_bytes(self.pem)
        key.write_bytes(self.key_file())
        return crt, key


def issue(
    certificate_type: KsefCertificateType,
    *,
    now: datetime,
    nip: str | None = None,
    pesel: str | None = None,
    issuer: x509.Name = LOCAL_CA_NAME,
    not_before: datetime | None = None,
    lifetime: timedelta = timedelta(days=730),
) -> Issued:
    key = ec_key()
    ca_key = ec_key()
    if pesel is not None:
        attributes = [
            x509.NameAttribute(NameOID.GIVEN_NAME, "Anna"),
            x509.NameAttribute(NameOID.SURNAME, "Testowa"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, f"PNOPL-{pesel}"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Anna Testowa"),
        ]
    else:
        attributes = [
            x509.NameAttribute(ORGANIZATION_IDENTIFIER, f"VATPL-{nip}"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Firma Testowa sp. z o.o."),
            x509.NameAttribute(NameOID.COMMON_NAME, f"Firma Testowa {certificate_type.value}"),
        ]
    start = not_before or now - timedelta(hours=1)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([*attributes, x509.NameAttribute(NameOID.COUNTRY_NAME, "PL")]))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + lifetime)
        .add_extension(ksef_key_usage(certificate_type), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    return Issued(certificate, key)
