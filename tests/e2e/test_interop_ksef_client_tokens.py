"""Interoperability: the third-party `ksef-client` 0.20.0 (PyPI, pinned in the dev dependencies) against a real
`ksef-mcu serve`: after a XAdES login it grants a permission and polls the operation, generates a KSeF token, and
logs in with that token (its own RSA-OAEP encryption under our `KsefTokenEncryption` certificate)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from ksef_mcu.crypto.keys import generate_private_key
from ksef_mcu.crypto.self_signed import TestSubject, build_self_signed_certificate
from ksef_mcu.identifiers import generate_random_nip
from support.processes import serving

pytestmark = [pytest.mark.interop, pytest.mark.e2e]

ksef_client = pytest.importorskip("ksef_client", reason="the dev extra ksef-client[xml] is not installed")


def _claims(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    decoded: dict[str, object] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return decoded


def test_ksef_client_logs_in_with_a_ksef_token_made_by_our_server(tmp_path: Path) -> None:
    from ksef_client.client import KsefClient
    from ksef_client.config import KsefClientOptions
    from ksef_client.models import (
        GenerateTokenRequest,
        PersonalPermissionsQueryRequest,
        PersonDetails,
        PersonPermissionsGrantRequest,
        PersonPermissionsSubjectIdentifier,
        PersonPermissionsSubjectIdentifierType,
        PersonPermissionSubjectDetails,
        PersonPermissionSubjectDetailsType,
        PersonPermissionType,
        TokenPermissionType,
    )
    from ksef_client.services.workflows import AuthCoordinator

    nip = generate_random_nip()
    key = generate_private_key()
    certificate = build_self_signed_certificate(key, TestSubject.seal(nip), now=datetime.now(UTC))
    certificate_pem = certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")

    with serving(tmp_path / "data") as base_url:
        options = KsefClientOptions(base_url=base_url, base_qr_url=f"{base_url}/qr")
        with KsefClient(options) as peer:
            auth = AuthCoordinator(peer.auth)
            owner = auth.authenticate_with_xades(
                context_identifier_type="nip",
                context_identifier_value=nip,
                subject_identifier_type="certificateSubject",
                certificate_pem=certificate_pem,
                private_key_pem=key_pem,
                verify_certificate_chain=False,
                poll_interval_seconds=0.1,
            ).tokens.access_token.token

            employee_nip = generate_random_nip()
            operation = peer.permissions.grant_person(
                PersonPermissionsGrantRequest(
                    subject_identifier=PersonPermissionsSubjectIdentifier(
                        type=PersonPermissionsSubjectIdentifierType.NIP, value=employee_nip
                    ),
                    permissions=[PersonPermissionType.INVOICEREAD],
                    description="Pracownik działu księgowości",
                    subject_details=PersonPermissionSubjectDetails(
                        subject_details_type=PersonPermissionSubjectDetailsType.PERSONBYIDENTIFIER,
                        person_by_id=PersonDetails(first_name="Anna", last_name="Testowa"),
                    ),
                ),
                access_token=owner,
            )
            status = peer.permissions.get_operation_status(operation.reference_number, access_token=owner)
            assert status.status.code == 200
            own = peer.permissions.query_personal_grants(PersonalPermissionsQueryRequest(), access_token=owner)
            assert own.has_more is False

            generated = peer.tokens.generate_token(
                GenerateTokenRequest(
                    description="Token dla ksef-client",
                    permissions=[TokenPermissionType.INVOICEREAD, TokenPermissionType.INVOICEWRITE],
                ),
                access_token=owner,
            )
            token_status = peer.tokens.get_token_status(generated.reference_number, access_token=owner)
            assert token_status.status.value == "Active"

            encryption = peer.security.get_public_key_certificate("KsefTokenEncryption")
            result = auth.authenticate_with_ksef_token(
                token=generated.token,
                public_certificate=encryption.certificate,
                public_key_id=encryption.public_key_id,
                context_identifier_type="nip",
                context_identifier_value=nip,
                poll_interval_seconds=0.1,
            )
            claims = _claims(result.tokens.access_token.token)
            assert claims["aum"] == "Token"
            assert json.loads(str(claims["pep"])) == ["InvoiceRead", "InvoiceWrite"]

            peer.tokens.revoke_token(generated.reference_number, access_token=owner)
            with pytest.raises(RuntimeError, match="450"):
                auth.authenticate_with_ksef_token(
                    token=generated.token,
                    public_certificate=encryption.certificate,
                    context_identifier_type="nip",
                    context_identifier_value=nip,
                    poll_interval_seconds=0.1,
                    max_attempts=3,
                )
