"""The JSON the QR pages answer machines with (`Accept: application/json`); docs/qr.md describes it."""

from __future__ import annotations

from typing import Any

from ksef_mcu.server.qr.model import CertificateVerification, InvoiceVerification

__all__ = ["certificate_verification_body", "error_body", "invoice_verification_body"]


def certificate_verification_body(verification: CertificateVerification) -> dict[str, Any]:
    link = verification.link
    certificate = verification.certificate
    return {
        "kind": "certificate",
        "verified": verification.verified,
        "checkedAt": verification.checked_at.isoformat(),
        "link": link.link,
        "contextIdentifier": {"type": link.context_type.value, "value": link.context_value},
        "sellerNip": link.seller_nip,
        "certificateSerialNumber": link.certificate_serial,
        "invoiceHash": link.invoice_hash.base64url,
        "certificate": None
        if certificate is None
        else {
            "certificateType": certificate.certificate_type.value,
            "status": certificate.status,
            "validFrom": certificate.valid_from.isoformat(),
            "validTo": certificate.valid_to.isoformat(),
            "subjectIdentifierType": certificate.subject_type,
            "subjectNip": certificate.subject_nip,
        },
        "checks": [
            {"name": check.name.value, "result": check.outcome.value, "title": check.title, "detail": check.detail}
            for check in verification.checks
        ],
    }


def invoice_verification_body(verification: InvoiceVerification) -> dict[str, Any]:
    link = verification.link
    return {
        "kind": "invoice",
        "found": verification.found,
        "ksefNumber": verification.ksef_number,
        "checkedAt": verification.checked_at.isoformat(),
        "link": link.link,
        "sellerNip": link.seller_nip,
        "issueDate": link.issue_date.isoformat(),
        "invoiceHash": link.invoice_hash.base64url,
    }


def error_body(status: int, title: str, message: str, details: list[str]) -> dict[str, Any]:
    return {"error": {"status": status, "title": title, "message": message, "details": details}}
