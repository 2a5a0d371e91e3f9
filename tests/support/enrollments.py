"""Accepted enrollment requests stored directly, as the registration authority stores them (for worker tests)."""

from __future__ import annotations

from datetime import datetime

from ksef_mcu.crypto.certificates import KsefCertificateType
from ksef_mcu.crypto.csr import EnrollmentData, create_csr, inspect_csr
from ksef_mcu.identifiers import SubjectIdentifier
from ksef_mcu.server.certificates.model import EnrollmentRecord, EnrollmentStatus, EnrollmentStatusCode
from ksef_mcu.server.certificates.repositories.enrollments import EnrollmentRepository
from ksef_mcu.server.reference_numbers import ReferenceKind, new_reference_number
from ksef_mcu.storage.database import Database
from support.pki import PrivateKey, ec_key


def data_for(subject: SubjectIdentifier) -> EnrollmentData:
    return EnrollmentData(
        common_name=f"Firma {subject.value}", country_name="PL", serial_number=f"TINPL-{subject.value}"
    )


def add_pending(
    database: Database,
    subject: SubjectIdentifier,
    *,
    now: datetime,
    key: PrivateKey | None = None,
    certificate_type: KsefCertificateType = KsefCertificateType.AUTHENTICATION,
) -> str:
    """Store an accepted request (status 100) made at `now`; returns its reference number."""
    data = data_for(subject)
    csr = inspect_csr(create_csr(key or ec_key(), data))
    reference = new_reference_number(ReferenceKind.ENROLLMENT, now=now)
    with database.write() as connection:
        EnrollmentRepository(connection).add(
            EnrollmentRecord(
                reference_number=reference,
                subject=subject,
                certificate_name="Certyfikat",
                certificate_type=certificate_type,
                csr_der=csr.der,
                public_key_sha256=csr.spki_sha256,
                enrollment_data=data,
                requested_valid_from=None,
                request_date=now,
                status=EnrollmentStatus(EnrollmentStatusCode.ACCEPTED),
            )
        )
    return reference
