"""Building and reading AuthTokenRequest documents."""

from __future__ import annotations

import pytest

from ksef_mcu.crypto.errors import XadesError, XadesRejection
from ksef_mcu.crypto.xades import (
    AllowedIps,
    AuthTokenNamespace,
    AuthTokenRequest,
    ContextIdentifier,
    ContextIdentifierType,
    SubjectIdentifierTypeXml,
    build_auth_token_request,
    validate_auth_token_request,
)

from .pki import CHALLENGE, NIP


@pytest.mark.parametrize("namespace", ["2.0", "2.1"])
@pytest.mark.parametrize(
    "context",
    [
        ContextIdentifier(ContextIdentifierType.NIP, NIP),
        ContextIdentifier(ContextIdentifierType.INTERNAL_ID, f"{NIP}-12345"),
        ContextIdentifier(ContextIdentifierType.NIP_VAT_UE, f"{NIP}-ATU12345678"),
        ContextIdentifier(ContextIdentifierType.PEPPOL_ID, "PPL123456"),
    ],
)
@pytest.mark.parametrize("subject", list(SubjectIdentifierTypeXml))
def test_built_request_reads_back(
    namespace: str, context: ContextIdentifier, subject: SubjectIdentifierTypeXml
) -> None:
    xml = build_auth_token_request(CHALLENGE, context, subject, namespace=namespace)
    assert xml.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n<AuthTokenRequest xmlns="http://ksef.mf.gov.pl/')
    assert validate_auth_token_request(xml) == AuthTokenRequest(
        CHALLENGE, context, subject, None, AuthTokenNamespace(namespace)
    )


def test_default_namespace_is_2_1_and_strings_are_accepted() -> None:
    xml = build_auth_token_request(
        CHALLENGE, ContextIdentifier(ContextIdentifierType("Nip"), NIP), "certificateSubject"
    )
    request = validate_auth_token_request(xml)
    assert request.namespace is AuthTokenNamespace.V2_1
    assert request.namespace.uri == "http://ksef.mf.gov.pl/auth/token/2.1"
    assert request.subject_identifier_type is SubjectIdentifierTypeXml.CERTIFICATE_SUBJECT


def test_allowed_ips_keep_their_order_and_kinds() -> None:
    allowed = AllowedIps(["192.168.0.1", "10.0.0.1"], ["222.111.0.1-222.111.0.255"], ["192.168.1.0/24"])
    xml = build_auth_token_request(
        CHALLENGE, ContextIdentifier(ContextIdentifierType.NIP, NIP), "certificateSubject", allowed
    )
    assert b"<AuthorizationPolicy><AllowedIps><Ip4Address>192.168.0.1</Ip4Address>" in xml
    assert validate_auth_token_request(xml).allowed_ips == allowed
    assert allowed.ip4_addresses == ("192.168.0.1", "10.0.0.1")


def test_empty_allowed_ips_is_a_policy_of_its_own() -> None:
    xml = build_auth_token_request(
        CHALLENGE, ContextIdentifier(ContextIdentifierType.NIP, NIP), "certificateSubject", AllowedIps()
    )
    assert b"<AuthorizationPolicy><AllowedIps></AllowedIps></AuthorizationPolicy>" in xml
    assert validate_auth_token_request(xml).allowed_ips == AllowedIps()


def test_allowed_ips_refuse_a_bare_string() -> None:
    with pytest.raises(TypeError):
        AllowedIps("10.0.0.1")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("arguments", "detail"),
    [
        ({"challenge": "20260520-CR-46F7284000-D8D06263E5"}, "Challenge"),
        ({"context": ContextIdentifier(ContextIdentifierType.NIP, "0265877635")}, "ContextIdentifier/Nip"),
        ({"context": ContextIdentifier(ContextIdentifierType.INTERNAL_ID, NIP)}, "ContextIdentifier/InternalId"),
        ({"context": ContextIdentifier(ContextIdentifierType.NIP_VAT_UE, f"{NIP}-PL1234567890")}, "NipVatUe"),
        ({"context": ContextIdentifier(ContextIdentifierType.PEPPOL_ID, "PPL12345")}, "PeppolId"),
        ({"context": ContextIdentifier("Pesel", "88102341294")}, "typ kontekstu"),  # type: ignore[arg-type]
        ({"subject": "certificate"}, "SubjectIdentifierType"),
        ({"namespace": "2.2"}, "wersja schematu"),
        ({"allowed_ips": AllowedIps(["256.0.0.1"])}, "Ip4Address"),
        ({"allowed_ips": AllowedIps([], ["10.0.0.1"])}, "Ip4Range"),
        ({"allowed_ips": AllowedIps([], [], ["10.0.0.0/33"])}, "Ip4Mask"),
        ({"allowed_ips": AllowedIps(["10.0.0.1"] * 11)}, "co najwyżej 10"),
    ],
)
def test_builder_refuses_invalid_values_naming_the_field(arguments: dict[str, object], detail: str) -> None:
    values: dict[str, object] = {
        "challenge": CHALLENGE,
        "context": ContextIdentifier(ContextIdentifierType.NIP, NIP),
        "subject": "certificateSubject",
        "allowed_ips": None,
        "namespace": "2.1",
    } | arguments
    with pytest.raises(XadesError) as caught:
        build_auth_token_request(
            values["challenge"],  # type: ignore[arg-type]
            values["context"],  # type: ignore[arg-type]
            values["subject"],  # type: ignore[arg-type]
            values["allowed_ips"],  # type: ignore[arg-type]
            values["namespace"],  # type: ignore[arg-type]
        )
    assert caught.value.reason is XadesRejection.SCHEMA_INVALID
    assert caught.value.code == 21401
    assert detail in caught.value.details[0]


def test_reader_returns_collapsed_token_values_and_exact_string_values() -> None:
    xml = (
        '<AuthTokenRequest xmlns="http://ksef.mf.gov.pl/auth/token/2.0">\n'
        f"  <Challenge>\n    {CHALLENGE}\n  </Challenge>\n"
        "  <ContextIdentifier><!-- firma --><Nip>52658<!-- x -->77635</Nip></ContextIdentifier>\n"
        "  <SubjectIdentifierType> certificateFingerprint </SubjectIdentifierType>\n"
        "  <AuthorizationPolicy><AllowedIps><Ip4Mask> 10.0.0.0/8 </Ip4Mask></AllowedIps></AuthorizationPolicy>\n"
        "</AuthTokenRequest>"
    ).encode()
    request = validate_auth_token_request(xml)
    assert request.challenge == CHALLENGE
    assert request.context == ContextIdentifier(ContextIdentifierType.NIP, NIP)
    assert request.subject_identifier_type is SubjectIdentifierTypeXml.CERTIFICATE_FINGERPRINT
    assert request.allowed_ips == AllowedIps((), (), ("10.0.0.0/8",))


@pytest.mark.parametrize(
    ("xml", "detail"),
    [
        (b'<AuthTokenRequest xmlns="urn:x"/>', "Nieznana przestrzeń nazw"),
        (b'<Other xmlns="http://ksef.mf.gov.pl/auth/token/2.1"/>', "AuthTokenRequest"),
        (b'<AuthTokenRequest xmlns="http://ksef.mf.gov.pl/auth/token/2.1"/>', "oczekiwano elementu 'Challenge'"),
        (
            b'<AuthTokenRequest xmlns="http://ksef.mf.gov.pl/auth/token/2.1" a="1"/>',
            "niedozwolony atrybut 'a'",
        ),
    ],
)
def test_reader_explains_what_is_wrong(xml: bytes, detail: str) -> None:
    with pytest.raises(XadesError) as caught:
        validate_auth_token_request(xml)
    assert caught.value.reason is XadesRejection.SCHEMA_INVALID
    assert detail in caught.value.details[0]


def test_echoed_values_are_shortened() -> None:
    long_nip = "5" * 5000
    xml = (
        '<AuthTokenRequest xmlns="http://ksef.mf.gov.pl/auth/token/2.1">'
        f"<Challenge>{CHALLENGE}</Challenge><ContextIdentifier><Nip>{long_nip}</Nip></ContextIdentifier>"
        "<SubjectIdentifierType>certificateSubject</SubjectIdentifierType></AuthTokenRequest>"
    ).encode()
    with pytest.raises(XadesError) as caught:
        validate_auth_token_request(xml)
    assert len(caught.value.details[0]) < 200
    assert "…" in caught.value.details[0]
