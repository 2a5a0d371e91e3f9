"""Interoperability: the third-party `ksef-client` package from PyPI (smekcio/ksef-client-python, pinned in the dev
dependencies) runs the whole certificate lifecycle against a real `ksef-mcu serve`, with its own XAdES signer
(xmlsec, exclusive C14N, namespace 2.1) and its own CSR generator: log in, limits, enrollment data, CSR, enroll, poll,
retrieve, query with filters and paging, revoke (with and without a reason), log in with an issued certificate, and a
KOD II link it signs with an issued Offline certificate verifies with our code."""

from __future__ import annotations

import base64
import hashlib
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ksef_mcu.crypto.certificates import KsefCertificateType, classify_certificate, key_matches_certificate
from ksef_mcu.crypto.keys import generate_private_key
from ksef_mcu.crypto.qr import verify_offline_qr_link
from ksef_mcu.crypto.self_signed import TestSubject, build_self_signed_certificate
from ksef_mcu.identifiers import generate_random_nip
from support.processes import serving

pytestmark = [pytest.mark.interop, pytest.mark.e2e]

ksef_client = pytest.importorskip("ksef_client", reason="the dev extra ksef-client[xml] is not installed")


def _pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _key_pem_from_base64_der(private_key_base64: str) -> str:
    key = serialization.load_der_private_key(base64.b64decode(private_key_base64), password=None)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")


def _wait_for_certificate(peer: Any, reference_number: str, access_token: str) -> str:
    deadline = time.monotonic() + 60
    while True:
        status = peer.certificates.get_enrollment_status(reference_number, access_token=access_token)
        if status.status.code == 200:
            serial: str = status.certificate_serial_number
            return serial
        assert status.status.code == 100, status
        assert time.monotonic() < deadline, "the enrollment did not finish in time"
        time.sleep(0.2)


def test_ksef_client_certificate_lifecycle(tmp_path: Path) -> None:
    from ksef_client.client import KsefClient
    from ksef_client.config import KsefClientOptions
    from ksef_client.models import (
        CertificateListItemStatus,
        CertificateRevocationReason,
        EnrollCertificateRequest,
        QueryCertificatesRequest,
        RetrieveCertificatesRequest,
        RevokeCertificateRequest,
    )
    from ksef_client.models import (
        KsefCertificateType as PeerType,
    )
    from ksef_client.services.csr import generate_csr_ec, generate_csr_rsa
    from ksef_client.services.verification_link import VerificationLinkService
    from ksef_client.services.workflows import AuthCoordinator

    nip = generate_random_nip()
    login_key = generate_private_key()
    login_certificate = build_self_signed_certificate(login_key, TestSubject.seal(nip), now=datetime.now(UTC))
    login_key_pem = login_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")

    with serving(tmp_path / "data") as base_url:
        options = KsefClientOptions(base_url=base_url, base_qr_url=f"{base_url}/qr")
        with KsefClient(options) as peer:
            auth = AuthCoordinator(peer.auth)

            def log_in(certificate_pem: str, key_pem: str) -> str:
                result = auth.authenticate_with_xades(
                    context_identifier_type="nip",
                    context_identifier_value=nip,
                    subject_identifier_type="certificateSubject",
                    certificate_pem=certificate_pem,
                    private_key_pem=key_pem,
                    verify_certificate_chain=False,
                    poll_interval_seconds=0.1,
                )
                token: str = result.tokens.access_token.token
                return token

            token = log_in(_pem(login_certificate), login_key_pem)

            limits = peer.certificates.get_limits(access_token=token)
            assert limits.can_request is True
            assert (limits.certificate.limit, limits.enrollment.limit) == (100, 300)  # a NIP subject

            data = peer.certificates.get_enrollment_data(access_token=token)
            assert data.organization_identifier == f"VATPL-{nip}"

            # Its own CSR generators, fed the model's dict (camelCase): RSA for Authentication, EC for Offline.
            authentication_csr = generate_csr_rsa(data.to_dict())
            offline_csr = generate_csr_ec(data.to_dict())
            valid_from = (datetime.now(UTC) - timedelta(days=1)).isoformat()  # what the official clients send
            submitted = peer.certificates.send_enrollment(
                EnrollCertificateRequest(
                    certificate_name="Logowanie ksef-client",
                    certificate_type=PeerType.AUTHENTICATION,
                    csr=authentication_csr.csr_base64,
                    valid_from=valid_from,
                ),
                access_token=token,
            )
            assert len(submitted.reference_number) == 36
            authentication_serial = _wait_for_certificate(peer, submitted.reference_number, token)
            offline_submitted = peer.certificates.send_enrollment(
                EnrollCertificateRequest(
                    certificate_name="Offline ksef-client",
                    certificate_type=PeerType.OFFLINE,
                    csr=offline_csr.csr_base64,
                ),
                access_token=token,
            )
            offline_serial = _wait_for_certificate(peer, offline_submitted.reference_number, token)

            retrieved = peer.certificates.retrieve_certificate(
                RetrieveCertificatesRequest(certificate_serial_numbers=[authentication_serial, offline_serial]),
                access_token=token,
            )
            by_serial = {item.certificate_serial_number: item for item in retrieved.certificates}
            assert set(by_serial) == {authentication_serial, offline_serial}
            certificates = {
                serial: x509.load_der_x509_certificate(base64.b64decode(item.certificate))
                for serial, item in by_serial.items()
            }
            assert by_serial[offline_serial].certificate_name == "Offline ksef-client"
            assert by_serial[offline_serial].certificate_type == PeerType.OFFLINE
            assert classify_certificate(certificates[authentication_serial]) is KsefCertificateType.AUTHENTICATION
            assert classify_certificate(certificates[offline_serial]) is KsefCertificateType.OFFLINE
            offline_key_pem = _key_pem_from_base64_der(offline_csr.private_key_base64)
            offline_key = serialization.load_pem_private_key(offline_key_pem.encode(), password=None)
            assert key_matches_certificate(offline_key, certificates[offline_serial])  # type: ignore[arg-type]

            everything = peer.certificates.query_certificates(
                QueryCertificatesRequest(), page_size=10, page_offset=0, access_token=token
            )
            assert {item.certificate_serial_number for item in everything.certificates} == set(by_serial)
            assert everything.has_more is False
            offline_only = peer.certificates.query_certificates(
                QueryCertificatesRequest(type=PeerType.OFFLINE, status=CertificateListItemStatus.ACTIVE),
                page_size=10,
                page_offset=0,
                access_token=token,
            )
            assert [item.certificate_serial_number for item in offline_only.certificates] == [offline_serial]
            by_name = peer.certificates.query_certificates(
                QueryCertificatesRequest(name="Logowanie"), access_token=token
            )
            assert [item.certificate_serial_number for item in by_name.certificates] == [authentication_serial]
            second_page = peer.certificates.query_certificates(
                QueryCertificatesRequest(), page_size=10, page_offset=1, access_token=token
            )
            assert second_page.certificates == []

            # The issued Authentication certificate (RSA key from ksef-client's generator) logs in.
            authentication_key_pem = _key_pem_from_base64_der(authentication_csr.private_key_base64)
            issued_token = log_in(_pem(certificates[authentication_serial]), authentication_key_pem)
            [listed] = peer.certificates.query_certificates(
                QueryCertificatesRequest(certificate_serial_number=authentication_serial), access_token=issued_token
            ).certificates
            assert listed.last_use_date is not None

            # KOD II signed by ksef-client with the issued Offline certificate verifies with our code.
            invoice_hash = base64.b64encode(hashlib.sha256(b"<Faktura/>").digest()).decode()
            link = VerificationLinkService(options).build_certificate_verification_url(
                seller_nip=nip,
                context_identifier_type="Nip",
                context_identifier_value=nip,
                certificate_serial=offline_serial,
                invoice_hash=invoice_hash,
                private_key_pem=offline_key_pem,
            )
            assert verify_offline_qr_link(link, certificates[offline_serial]).certificate_serial == offline_serial

            # Revoke: with a reason, and with an empty body (reason omitted).
            peer.certificates.revoke_certificate(
                authentication_serial,
                RevokeCertificateRequest(revocation_reason=CertificateRevocationReason.KEYCOMPROMISE),
                access_token=token,
            )
            peer.certificates.revoke_certificate(offline_serial, RevokeCertificateRequest(), access_token=token)
            statuses = {
                item.certificate_serial_number: item.status
                for item in peer.certificates.query_certificates(
                    QueryCertificatesRequest(), access_token=token
                ).certificates
            }
            assert set(statuses.values()) <= {CertificateListItemStatus.REVOKED, CertificateListItemStatus.BLOCKED}
            with pytest.raises(ksef_client.exceptions.KsefApiError):
                peer.certificates.revoke_certificate(offline_serial, RevokeCertificateRequest(), access_token=token)

            # A revoked certificate no longer logs in.
            with pytest.raises(RuntimeError, match="460"):
                log_in(_pem(certificates[authentication_serial]), authentication_key_pem)
