"""Certificates: enroll and wait, retrieve as DER/PEM, query over all pages, revoke, input validation."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from ksef_mcu.client import (
    CertificateEnrollmentStatus,
    CertificateNameRule,
    CertificateQuery,
    CertificateStatus,
    CertificateType,
    KsefApiError,
    KsefEnrollmentFailedError,
    KsefGoneError,
    KsefInvalidInputError,
    KsefPollingTimeoutError,
    KsefResponseError,
)
from ksef_mcu.crypto.names import check_mcu_certificate_name

from .fakes import FakeClock, FakeKsef, body, list_item, make_client, ok, problem, serials, tokens

REFERENCE = "20251010-EH-1B6C9EB000-4B15D3AEB9-89"
STATUS_PATH = f"/certificates/enrollments/{REFERENCE}"
SUBMITTED = {"referenceNumber": REFERENCE, "timestamp": "2026-03-02T09:00:00+00:00"}


def status(code: int, description: str = "", details: list[str] | None = None, serial: str | None = None) -> Any:
    return ok(
        {
            "requestDate": "2026-03-02T09:00:00+00:00",
            "status": {"code": code, "description": description or f"status {code}", "details": details},
            "certificateSerialNumber": serial,
        }
    )


# --- enroll -------------------------------------------------------------------------------------------------------


def test_enroll_sends_the_request_and_returns_a_handle(
    fake: FakeKsef, clock: FakeClock, csr: x509.CertificateSigningRequest
) -> None:
    fake.on("POST", "/certificates/enrollments", ok(SUBMITTED, status=202))
    with make_client(fake, clock, token_state=tokens()) as client:
        enrollment = client.certificates.enroll("Mój certyfikat_1-ąę", "offline", csr, name_rule="api")
    assert enrollment.reference_number == REFERENCE
    assert enrollment.submitted_at == datetime(2026, 3, 2, 9, tzinfo=UTC)
    [request] = fake.requests
    assert request.headers["content-type"] == "application/json"
    assert body(request) == {
        "certificateName": "Mój certyfikat_1-ąę",
        "certificateType": "Offline",
        "csr": base64.b64encode(csr.public_bytes(Encoding.DER)).decode(),
    }


def test_enroll_accepts_pem_and_der_bytes_and_sends_valid_from_with_offset(
    fake: FakeKsef, clock: FakeClock, csr: x509.CertificateSigningRequest
) -> None:
    fake.on("POST", "/certificates/enrollments", ok(SUBMITTED, status=202))
    der = csr.public_bytes(Encoding.DER)
    warsaw = timezone(timedelta(hours=1))
    with make_client(fake, clock, token_state=tokens()) as client:
        client.certificates.enroll("Certyfikat", CertificateType.AUTHENTICATION, csr.public_bytes(Encoding.PEM))
        client.certificates.enroll("Certyfikat", "Authentication", der, valid_from=datetime(2026, 4, 1, tzinfo=warsaw))
    first, second = (body(request) for request in fake.requests)
    assert base64.b64decode(first["csr"]) == der
    assert "validFrom" not in first
    assert second["validFrom"] == "2026-03-31T23:00:00+00:00"


@pytest.mark.parametrize(
    ("name", "kind", "csr_bytes", "valid_from", "field"),
    [
        ("abcd", "Offline", None, None, "certificate_name"),
        ("x" * 101, "Offline", None, None, "certificate_name"),
        ("Zły/znak!", "Offline", None, None, "certificate_name"),
        ("Certyfikat", "Podpis", None, None, "certificate_type"),
        ("Certyfikat", "Offline", b"not a csr", None, "csr"),
        ("Certyfikat", "Offline", b"", None, "csr"),
        ("Certyfikat", "Offline", None, datetime(2026, 4, 1), "valid_from"),
    ],
)
def test_enroll_refuses_bad_input_before_sending(
    fake: FakeKsef,
    clock: FakeClock,
    csr: x509.CertificateSigningRequest,
    name: str,
    kind: str,
    csr_bytes: bytes | None,
    valid_from: datetime | None,
    field: str,
) -> None:
    with make_client(fake, clock, token_state=tokens()) as client, pytest.raises(KsefInvalidInputError) as info:
        client.certificates.enroll(name, kind, csr if csr_bytes is None else csr_bytes, valid_from)
    assert info.value.field == field
    assert isinstance(info.value, ValueError)
    assert fake.requests == []


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("Mój certyfikat", "„ó”"),
        ("  spacje  ", "spacją"),
        ("x" * 51, "od 5 do 50"),
        ("abcd", "od 5 do 50"),
    ],
)
def test_enroll_applies_the_user_guide_name_rule_by_default(
    fake: FakeKsef, clock: FakeClock, csr: x509.CertificateSigningRequest, name: str, problem: str
) -> None:
    with make_client(fake, clock, token_state=tokens()) as client, pytest.raises(KsefInvalidInputError) as info:
        client.certificates.enroll(name, "Offline", csr)
    assert info.value.field == "certificate_name"
    assert problem in info.value.message
    assert fake.requests == []


def test_enroll_with_the_api_name_rule_sends_what_the_api_accepts_and_nothing_more(
    fake: FakeKsef, clock: FakeClock, csr: x509.CertificateSigningRequest
) -> None:
    fake.on("POST", "/certificates/enrollments", ok(SUBMITTED, status=202))
    accepted = ["  Żółć z ąę  ", "ź" * 100, "x" * 51]
    with make_client(fake, clock, token_state=tokens()) as client:
        for name in accepted:
            client.certificates.enroll(name, "Offline", csr, name_rule=CertificateNameRule.API)
        for refused in ("x" * 101, "Zły/znak", "abcd"):
            with pytest.raises(KsefInvalidInputError) as info:
                client.certificates.enroll(refused, "Offline", csr, name_rule="api")
            assert info.value.field == "certificate_name"
        with pytest.raises(KsefInvalidInputError) as unknown:
            client.certificates.enroll("Certyfikat", "Offline", csr, name_rule="polskie")
        assert unknown.value.field == "name_rule"
    assert [body(request)["certificateName"] for request in fake.requests] == accepted


def test_the_documented_examples_use_names_the_user_guide_allows() -> None:
    root = Path(__file__).resolve().parents[2]
    names = [
        name
        for document in (root / "docs" / "client.md", root / "src" / "ksef_mcu" / "client" / "__init__.py")
        for name in re.findall(r"\.enroll\(\s*\"([^\"]*)\"", document.read_text(encoding="utf-8"))
    ]
    assert len(names) >= 2
    for name in names:
        assert check_mcu_certificate_name(name) == name


def test_enrollment_rejections_from_ksef_surface_with_their_code(
    fake: FakeKsef, clock: FakeClock, csr: x509.CertificateSigningRequest
) -> None:
    fake.on(
        "POST",
        "/certificates/enrollments",
        problem(
            400,
            detail="Żądanie jest nieprawidłowe.",
            errors=[{"code": 25007, "description": "Osiągnięto limit dopuszczalnej liczby posiadanych certyfikatów."}],
        ),
    )
    with make_client(fake, clock, token_state=tokens()) as client, pytest.raises(KsefApiError) as info:
        client.certificates.enroll("Certyfikat", "Offline", csr)
    assert info.value.code == 25007


# --- wait ---------------------------------------------------------------------------------------------------------


def test_wait_polls_with_growing_intervals_and_reports_progress(fake: FakeKsef, clock: FakeClock) -> None:
    fake.on("GET", STATUS_PATH, status(100), status(100), status(100), status(200, serial="01F20A5D352AE590"))
    seen: list[CertificateEnrollmentStatus] = []
    with make_client(fake, clock, token_state=tokens()) as client:
        final = client.certificates.enrollment(REFERENCE).wait(timeout=60, on_progress=seen.append)
    assert final.serial_number == "01F20A5D352AE590"
    assert final.status.succeeded
    assert [item.status.code for item in seen] == [100, 100, 100, 200]
    assert clock.sleeps == [0.5, 0.75, 1.125]


@pytest.mark.parametrize(
    ("code", "description", "details"),
    [
        (400, "Wniosek odrzucony", ["Klucz publiczny został już certyfikowany przez inny podmiot."]),
        (500, "Nieznany błąd", None),
        (550, "Operacja została anulowana przez system", ["Spróbuj ponownie"]),
    ],
)
def test_wait_raises_on_rejection(
    fake: FakeKsef, clock: FakeClock, code: int, description: str, details: list[str] | None
) -> None:
    fake.on("GET", STATUS_PATH, status(100), status(code, description, details))
    with make_client(fake, clock, token_state=tokens()) as client, pytest.raises(KsefEnrollmentFailedError) as info:
        client.certificates.enrollment(REFERENCE).wait(timeout=60)
    error = info.value
    assert error.status_code == code
    assert error.description == description
    assert error.details == tuple(details or ())
    assert error.reference_number == REFERENCE
    assert description in error.message
    if details:
        assert details[0] in error.message


def test_wait_gives_up_at_the_timeout(fake: FakeKsef, clock: FakeClock) -> None:
    fake.on("GET", STATUS_PATH, status(100))
    start = clock.now
    with make_client(fake, clock, token_state=tokens()) as client, pytest.raises(KsefPollingTimeoutError) as info:
        client.certificates.enrollment(REFERENCE).wait(timeout=10)
    assert info.value.reference_number == REFERENCE
    assert info.value.last_status_code == 100
    assert clock.now - start == timedelta(seconds=10)
    assert sum(clock.sleeps) == 10
    assert REFERENCE in info.value.message


def test_status_past_retention_is_gone(fake: FakeKsef, clock: FakeClock) -> None:
    fake.on("GET", STATUS_PATH, problem(410, detail="Operacja wygasła i nie jest już dostępna."))
    with make_client(fake, clock, token_state=tokens()) as client, pytest.raises(KsefGoneError):
        client.certificates.enrollment(REFERENCE).status()


def test_issued_without_a_serial_is_a_contract_breach(fake: FakeKsef, clock: FakeClock) -> None:
    fake.on("GET", STATUS_PATH, status(200))
    with make_client(fake, clock, token_state=tokens()) as client, pytest.raises(KsefResponseError):
        client.certificates.enrollment(REFERENCE).wait(timeout=5)


@pytest.mark.parametrize("reference", ["", "../limits", "20251010-EH-1B6C9EB000-4B15D3AEB9-8/", "x" * 37])
def test_reference_numbers_are_checked(fake: FakeKsef, clock: FakeClock, reference: str) -> None:
    with make_client(fake, clock, token_state=tokens()) as client, pytest.raises(KsefInvalidInputError):
        client.certificates.enrollment(reference)


@pytest.mark.parametrize("timeout", [0, -1, float("inf")])
def test_wait_timeout_must_be_positive(fake: FakeKsef, clock: FakeClock, timeout: float) -> None:
    with make_client(fake, clock, token_state=tokens()) as client, pytest.raises(KsefInvalidInputError):
        client.certificates.enrollment(REFERENCE).wait(timeout=timeout)
    assert fake.requests == []


# --- retrieve -----------------------------------------------------------------------------------------------------


def test_retrieve_gives_der_pem_and_certificate(
    fake: FakeKsef, clock: FakeClock, certificate: x509.Certificate
) -> None:
    der = certificate.public_bytes(Encoding.DER)
    fake.on(
        "POST",
        "/certificates/retrieve",
        ok(
            {
                "certificates": [
                    {
                        "certificate": base64.b64encode(der).decode(),
                        "certificateName": "Mój offline",
                        "certificateSerialNumber": "01F20A5D352AE590",
                        "certificateType": "Offline",
                    }
                ]
            }
        ),
    )
    with make_client(fake, clock, token_state=tokens()) as client:
        [item] = client.certificates.retrieve(["01f20a5d352ae590", "01F20A5D352AE590 "])
    assert body(fake.requests[0]) == {"certificateSerialNumbers": ["01F20A5D352AE590"]}
    assert item.der == der
    assert item.pem == certificate.public_bytes(Encoding.PEM).decode()
    assert item.pem.startswith("-----BEGIN CERTIFICATE-----\n")
    assert item.certificate == certificate
    assert item.certificate.serial_number == 0x01F20A5D352AE590
    assert item.name == "Mój offline"
    assert item.type is CertificateType.OFFLINE
    assert item.serial_number == "01F20A5D352AE590"


def test_retrieve_refuses_bad_base64(fake: FakeKsef, clock: FakeClock) -> None:
    fake.on(
        "POST",
        "/certificates/retrieve",
        ok(
            {
                "certificates": [
                    {
                        "certificate": "not base64!",
                        "certificateName": "x",
                        "certificateSerialNumber": "01F20A5D352AE590",
                        "certificateType": "Offline",
                    }
                ]
            }
        ),
    )
    with make_client(fake, clock, token_state=tokens()) as client, pytest.raises(KsefResponseError):
        client.certificates.retrieve("01F20A5D352AE590")


@pytest.mark.parametrize("given", [[], serials(11), ["01F20A5D352AE59"], ["01F20A5D352AE59G"], [""]])
def test_retrieve_takes_1_to_10_valid_serials(fake: FakeKsef, clock: FakeClock, given: list[str]) -> None:
    with make_client(fake, clock, token_state=tokens()) as client, pytest.raises(KsefInvalidInputError):
        client.certificates.retrieve(given)
    assert fake.requests == []


def test_retrieve_ten_serials(fake: FakeKsef, clock: FakeClock) -> None:
    fake.on("POST", "/certificates/retrieve", ok({"certificates": []}))
    with make_client(fake, clock, token_state=tokens()) as client:
        assert client.certificates.retrieve(serials(10)) == []
    assert body(fake.requests[0])["certificateSerialNumbers"] == serials(10)


# --- query --------------------------------------------------------------------------------------------------------


def _pages(pages: list[list[str]]) -> Any:
    def reply(request: httpx.Request) -> httpx.Response:
        index = int(request.url.params["pageOffset"])
        return ok(
            {
                "certificates": [list_item(serial) for serial in pages[index]],
                "hasMore": index + 1 < len(pages),
            }
        )

    return reply


def test_query_iterates_over_every_page(fake: FakeKsef, clock: FakeClock) -> None:
    pages = [serials(50, 1), serials(50, 51), serials(7, 101)]
    fake.on("POST", "/certificates/query", _pages(pages))
    with make_client(fake, clock, token_state=tokens()) as client:
        found = [item.serial_number for item in client.certificates.query(status="active", type="OFFLINE")]
    assert found == serials(107, 1)
    assert [dict(request.url.params) for request in fake.requests] == [
        {"pageSize": "50", "pageOffset": str(index)} for index in range(3)
    ]
    assert all(body(request) == {"type": "Offline", "status": "Active"} for request in fake.requests)


def test_query_is_lazy_and_stops_on_an_empty_page(fake: FakeKsef, clock: FakeClock) -> None:
    fake.on(
        "POST",
        "/certificates/query",
        ok({"certificates": [list_item(serials(1)[0])], "hasMore": True}),
        ok({"certificates": [], "hasMore": True}),
    )
    with make_client(fake, clock, token_state=tokens()) as client:
        listing = client.certificates.query(page_size=10)
        assert fake.requests == []
        assert len(list(listing)) == 1
    assert len(fake.requests) == 2


def test_query_sends_every_filter(fake: FakeKsef, clock: FakeClock) -> None:
    fake.on("POST", "/certificates/query", ok({"certificates": [], "hasMore": False}))
    with make_client(fake, clock, token_state=tokens()) as client:
        list(
            client.certificates.query(
                serial_number="01f20a5d352ae590",
                name="Mój",
                type=CertificateType.AUTHENTICATION,
                status=CertificateStatus.REVOKED,
                expires_after=datetime(2026, 1, 1, tzinfo=UTC),
            )
        )
        client.certificates.query_page(CertificateQuery(), page_offset=3, page_size=20)
    first, second = fake.requests
    assert body(first) == {
        "certificateSerialNumber": "01F20A5D352AE590",
        "name": "Mój",
        "type": "Authentication",
        "status": "Revoked",
        "expiresAfter": "2026-01-01T00:00:00+00:00",
    }
    assert body(second) == {}
    assert dict(second.url.params) == {"pageSize": "20", "pageOffset": "3"}


@pytest.mark.parametrize(
    "filters",
    [
        {"page_size": 9},
        {"page_size": 51},
        {"serial_number": "xyz"},
        {"name": "  "},
        {"type": "Podpis"},
        {"status": "Suspended"},
        {"expires_after": datetime(2026, 1, 1)},
    ],
)
def test_query_refuses_bad_filters_at_once(fake: FakeKsef, clock: FakeClock, filters: dict[str, Any]) -> None:
    with make_client(fake, clock, token_state=tokens()) as client, pytest.raises(KsefInvalidInputError):
        client.certificates.query(**filters)
    assert fake.requests == []


def test_query_page_offset_must_be_a_page_index(fake: FakeKsef, clock: FakeClock) -> None:
    with make_client(fake, clock, token_state=tokens()) as client, pytest.raises(KsefInvalidInputError):
        client.certificates.query_page(page_offset=-1)


# --- revoke, limits, enrollment data ------------------------------------------------------------------------------


def test_revoke_without_reason_sends_no_body(fake: FakeKsef, clock: FakeClock) -> None:
    fake.on("POST", "/certificates/01F20A5D352AE590/revoke", ok(status=204))
    with make_client(fake, clock, token_state=tokens()) as client:
        client.certificates.revoke("01f20a5d352ae590")
        client.certificates.revoke("01F20A5D352AE590", "key-compromise")
        client.certificates.revoke("01F20A5D352AE590", "Superseded")
    without, compromised, superseded = fake.requests
    assert without.content == b""
    assert "content-type" not in without.headers
    assert body(compromised) == {"revocationReason": "KeyCompromise"}
    assert body(superseded) == {"revocationReason": "Superseded"}


def test_revoke_refuses_bad_input(fake: FakeKsef, clock: FakeClock) -> None:
    with make_client(fake, clock, token_state=tokens()) as client:
        with pytest.raises(KsefInvalidInputError):
            client.certificates.revoke("../../auth/sessions")
        with pytest.raises(KsefInvalidInputError):
            client.certificates.revoke("01F20A5D352AE590", "Stolen")
    assert fake.requests == []


def test_revoke_errors_carry_their_code(fake: FakeKsef, clock: FakeClock) -> None:
    fake.on(
        "POST",
        "/certificates/01F20A5D352AE590/revoke",
        problem(400, detail="x", errors=[{"code": 25009, "description": "Certyfikat jest już unieważniony."}]),
    )
    with make_client(fake, clock, token_state=tokens()) as client, pytest.raises(KsefApiError) as info:
        client.certificates.revoke("01F20A5D352AE590")
    assert info.value.code == 25009


def test_enrollment_data_for_a_seal(fake: FakeKsef, clock: FakeClock) -> None:
    fake.on(
        "GET",
        "/certificates/enrollments/data",
        ok(
            {
                "commonName": "Firma Kowalski Certyfikat",
                "countryName": "PL",
                "serialNumber": None,
                "uniqueIdentifier": "d9d22724-4696-460c-9e5e-b9e3aafb0af3",
                "organizationName": "Firma Kowalski Sp. z o.o.",
                "organizationIdentifier": "7762811692",
            }
        ),
    )
    with make_client(fake, clock, token_state=tokens()) as client:
        data = client.certificates.enrollment_data()
    assert data.common_name == "Firma Kowalski Certyfikat"
    assert data.organization_identifier == "7762811692"
    assert data.given_name is None
    assert data.serial_number is None
