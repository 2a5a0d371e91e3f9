"""The client against the official OpenAPI contract: enums, paths, parameters, request and response field names."""

from __future__ import annotations

import enum
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography import x509
from pydantic import BaseModel

from ksef_mcu.client import models

from .fakes import FakeClock, FakeKsef, body, make_client, ok, tokens
from .test_auth import AUTH_REFERENCE, SIGNED, _auth_status, _script_login
from .test_certificates import REFERENCE, STATUS_PATH, SUBMITTED, status

ENUMS: list[tuple[type[enum.StrEnum], str]] = [
    (models.CertificateType, "KsefCertificateType"),
    (models.CertificateStatus, "CertificateListItemStatus"),
    (models.RevocationReason, "CertificateRevocationReason"),
    (models.AuthenticationMethod, "AuthenticationMethod"),
    (models.AuthenticationMethodCategory, "AuthenticationMethodCategory"),
    (models.PublicKeyCertificateUsage, "PublicKeyCertificateUsage"),
    (models.SubjectIdentifierType, "CertificateSubjectIdentifierType"),
]

RESPONSE_MODELS: list[tuple[type[BaseModel], str]] = [
    (models.StatusInfo, "StatusInfo"),
    (models.TokenInfo, "TokenInfo"),
    (models.AuthenticationChallenge, "AuthenticationChallengeResponse"),
    (models.AuthenticationInit, "AuthenticationInitResponse"),
    (models.AuthenticationMethodInfo, "AuthenticationMethodInfo"),
    (models.AuthenticationOperationStatus, "AuthenticationOperationStatusResponse"),
    (models.AuthenticationTokens, "AuthenticationTokensResponse"),
    (models.AuthenticationTokenRefresh, "AuthenticationTokenRefreshResponse"),
    (models.AuthenticationSession, "AuthenticationListItem"),
    (models.AuthenticationSessionPage, "AuthenticationListResponse"),
    (models.CertificateLimit, "CertificateLimit"),
    (models.CertificateLimits, "CertificateLimitsResponse"),
    (models.CertificateEnrollmentData, "CertificateEnrollmentDataResponse"),
    (models.EnrollmentSubmission, "EnrollCertificateResponse"),
    (models.CertificateEnrollmentStatus, "CertificateEnrollmentStatusResponse"),
    (models.RetrievedCertificate, "RetrieveCertificatesListItem"),
    (models.CertificateSubjectIdentifier, "CertificateSubjectIdentifier"),
    (models.CertificateListItem, "CertificateListItem"),
    (models.CertificatePage, "QueryCertificatesResponse"),
    (models.PublicKeyCertificate, "PublicKeyCertificate"),
]


def _schema(open_api: dict[str, Any], name: str) -> dict[str, Any]:
    schema: dict[str, Any] = open_api["components"]["schemas"][name]
    return schema


@pytest.mark.parametrize(("enum_class", "schema_name"), ENUMS, ids=[name for _, name in ENUMS])
def test_enums_have_exactly_the_official_values(
    open_api: dict[str, Any], enum_class: type[enum.StrEnum], schema_name: str
) -> None:
    assert [member.value for member in enum_class] == _schema(open_api, schema_name)["enum"]


@pytest.mark.parametrize(("model", "schema_name"), RESPONSE_MODELS, ids=[name for _, name in RESPONSE_MODELS])
def test_response_models_read_the_official_field_names(
    open_api: dict[str, Any], model: type[BaseModel], schema_name: str
) -> None:
    schema = _schema(open_api, schema_name)
    properties = set(schema["properties"])
    aliases = {field.alias or name for name, field in model.model_fields.items()}
    assert aliases <= properties, f"fields not in {schema_name}: {aliases - properties}"
    required = set(schema.get("required", []))
    # Every required field we model is required by us too, unless we deliberately tolerate its absence.
    tolerated = {"clientIp", "authenticationMethod", "authenticationMethodInfo", "displayName", "isCurrent"}
    optional_here = {field.alias or name for name, field in model.model_fields.items() if not field.is_required()}
    assert (required & optional_here) <= tolerated


def _template_matches(template: str, path: str) -> bool:
    pattern = re.sub(r"\{[^/]+\}", "[^/]+", template)
    return re.fullmatch(pattern, path) is not None


def _operation(open_api: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    candidates = [(template, item) for template, item in open_api["paths"].items() if _template_matches(template, path)]
    # A literal segment wins over a template one (`/auth/sessions` vs `/auth/{referenceNumber}`).
    candidates.sort(key=lambda pair: pair[0].count("{"))
    for _, item in candidates:
        if method.lower() in item:
            operation: dict[str, Any] = item[method.lower()]
            return operation
    raise AssertionError(f"{method} {path} is not in the official API")


def _properties(open_api: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    if "$ref" in schema:
        return _properties(open_api, _schema(open_api, schema["$ref"].rsplit("/", 1)[1]))
    names = set(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        names |= _properties(open_api, part)
    return names


def test_every_request_the_client_sends_is_in_the_contract(
    open_api: dict[str, Any], fake: FakeKsef, clock: FakeClock, csr: x509.CertificateSigningRequest
) -> None:
    _script_login(fake, _auth_status(200))
    fake.on("POST", "/auth/token/refresh", ok({"accessToken": {"token": "a2", "validUntil": "2026-03-02T10:00:00Z"}}))
    fake.on("GET", "/auth/sessions", ok({"items": []}))
    fake.on("DELETE", f"/auth/sessions/{AUTH_REFERENCE}", ok(status=204))
    fake.on("DELETE", "/auth/sessions/current", ok(status=204))
    fake.on(
        "GET",
        "/certificates/limits",
        ok(
            {
                "canRequest": True,
                "enrollment": {"remaining": 1, "limit": 1},
                "certificate": {"remaining": 1, "limit": 1},
            }
        ),
    )
    fake.on("GET", "/certificates/enrollments/data", ok({"commonName": "Jan", "countryName": "PL"}))
    fake.on("POST", "/certificates/enrollments", ok(SUBMITTED, status=202))
    fake.on("GET", STATUS_PATH, status(100))
    fake.on("POST", "/certificates/retrieve", ok({"certificates": []}))
    fake.on("POST", "/certificates/query", ok({"certificates": [], "hasMore": False}))
    fake.on("POST", "/certificates/01F20A5D352AE590/revoke", ok(status=204))
    fake.on("GET", "/security/public-key-certificates", ok([]))
    with make_client(fake, clock, token_state=tokens()) as client:
        client.auth.login_with_xades(lambda _: SIGNED, verify_certificate_chain=False)
        client.auth.refresh()
        list(client.auth.sessions(page_size=10))
        client.auth.revoke_session(AUTH_REFERENCE)
        client.certificates.limits()
        client.certificates.enrollment_data()
        client.certificates.enroll("Certyfikat", "Offline", csr, valid_from=datetime(2026, 4, 1, tzinfo=UTC))
        client.certificates.enrollment(REFERENCE).status()
        client.certificates.retrieve(["01F20A5D352AE590"])
        list(
            client.certificates.query(
                serial_number="01F20A5D352AE590",
                name="Cert",
                type="Offline",
                status="Active",
                expires_after=datetime(2026, 1, 1, tzinfo=UTC),
            )
        )
        client.certificates.revoke("01F20A5D352AE590", "Superseded")
        client.security.public_key_certificates()
        client.auth.logout()

    assert len(fake.requests) == 16
    for request in fake.requests:
        path = request.url.path.removeprefix("/v2")
        operation = _operation(open_api, request.method, path)
        declared = {parameter["name"] for parameter in operation.get("parameters", []) if parameter["in"] == "query"}
        assert set(request.url.params) <= declared, f"{request.method} {path}: {set(request.url.params) - declared}"
        if request.content and request.headers.get("content-type") == "application/json":
            content = operation["requestBody"]["content"]["application/json"]["schema"]
            properties = _properties(open_api, content)
            assert properties, f"{request.method} {path}: no request schema"
            assert set(body(request)) <= properties, f"{request.method} {path}: {set(body(request)) - properties}"
        elif request.content:
            assert request.headers["content-type"] in operation["requestBody"]["content"]
