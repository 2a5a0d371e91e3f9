"""Two-step XAdES: prepare the SignedInfo bytes, sign them elsewhere, complete — what XadesSigner makes."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from ksef_mcu.crypto.errors import CertificateError, XadesError, XadesRejection
from ksef_mcu.crypto.xades import (
    ContextIdentifier,
    ContextIdentifierType,
    SignatureMethod,
    XadesSigner,
    build_auth_token_request,
    verify_auth_token_request,
)
from ksef_mcu.crypto.xades._xml import canonicalize
from ksef_mcu.crypto.xades.algorithms import DSIG_NS
from ksef_mcu.crypto.xades.two_step import complete_signature, prepare_signature

from .pki import CHALLENGE, NIP, NOW, PrivateKey, ec_key, make_certificate, person_name, rsa_key, seal_name
from .styles import unsigned_request


def _request() -> bytes:
    return build_auth_token_request(
        CHALLENGE, ContextIdentifier(ContextIdentifierType.NIP, NIP), "certificateSubject", namespace="2.1"
    )


def _sign_elsewhere(key: PrivateKey, data: bytes) -> bytes:
    """What the browser does: RSASSA-PKCS1-v1_5 SHA-256, or ECDSA SHA-256 as raw r||s (WebCrypto's format)."""
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    size = (key.curve.key_size + 7) // 8
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def test_rsa_two_step_signature_is_byte_for_byte_the_signers() -> None:
    """RSASSA-PKCS1-v1_5 is deterministic, so both paths must give identical documents."""
    key = rsa_key()
    certificate = make_certificate(key, seal_name())
    prepared = prepare_signature(_request(), certificate, now=NOW)
    assert prepared.signature_method is SignatureMethod.RSA_SHA256
    signed = complete_signature(prepared, _sign_elsewhere(key, prepared.signed_info))
    assert signed == XadesSigner(key, certificate).sign(_request(), now=NOW)
    assert verify_auth_token_request(signed, now=NOW).subject_identifier.value == NIP


def test_ec_two_step_signature_verifies_and_has_the_signers_structure() -> None:
    key = ec_key()
    certificate = make_certificate(key, person_name())
    prepared = prepare_signature(_request(), certificate, now=NOW)
    assert prepared.signature_method is SignatureMethod.ECDSA_SHA256
    value = _sign_elsewhere(key, prepared.signed_info)
    signed = complete_signature(prepared, value)
    login = verify_auth_token_request(signed, now=NOW)
    assert login.signature_method is SignatureMethod.ECDSA_SHA256
    assert login.signing_time == NOW.replace(microsecond=0) - dt.timedelta(minutes=1)

    # Apart from the (randomised) ECDSA value, the document is the one XadesSigner writes.
    local = XadesSigner(key, certificate).sign(_request(), now=NOW)
    local_value = etree.fromstring(local).findtext(f".//{{{DSIG_NS}}}SignatureValue")
    assert local_value is not None
    assert signed.replace(base64.b64encode(value), local_value.encode()) == local


def test_signed_info_is_exactly_what_the_signature_covers() -> None:
    """The bytes handed to the browser equal the canonical SignedInfo of the finished document."""
    key = ec_key()
    certificate = make_certificate(key)
    prepared = prepare_signature(_request(), certificate, now=NOW)
    signed = complete_signature(prepared, _sign_elsewhere(key, prepared.signed_info))
    root = etree.fromstring(signed)
    signed_info = root.find(f"{{{DSIG_NS}}}Signature/{{{DSIG_NS}}}SignedInfo")
    assert signed_info is not None
    assert canonicalize(signed_info, exclusive=False) == prepared.signed_info


def test_prepare_is_deterministic_so_a_server_can_prepare_again() -> None:
    key = rsa_key()
    certificate = make_certificate(key)
    first = prepare_signature(_request(), certificate, now=NOW)
    again = prepare_signature(_request(), certificate, now=NOW)
    assert first.signed_info == again.signed_info
    value = _sign_elsewhere(key, first.signed_info)
    assert complete_signature(first, value) == complete_signature(again, value)
    later = prepare_signature(_request(), certificate, now=NOW + dt.timedelta(seconds=1))
    assert later.signed_info != first.signed_info


@pytest.mark.parametrize("layout", ["csharp", "java", "pyksef"])
def test_official_client_layouts_keep_their_namespaces(layout: str) -> None:
    key = ec_key()
    certificate = make_certificate(key)
    unsigned = unsigned_request(layout=layout)
    prepared = prepare_signature(unsigned, certificate, now=NOW)
    if layout != "java":
        assert b"xmlns:xsi=" in prepared.signed_info
    signed = complete_signature(prepared, _sign_elsewhere(key, prepared.signed_info))
    assert verify_auth_token_request(signed, now=NOW).challenge == CHALLENGE


def test_a_signature_by_another_key_is_refused() -> None:
    certificate = make_certificate(ec_key())
    prepared = prepare_signature(_request(), certificate, now=NOW)
    with pytest.raises(XadesError) as caught:
        complete_signature(prepared, _sign_elsewhere(ec_key(index=1), prepared.signed_info))
    assert caught.value.reason is XadesRejection.SIGNATURE_MISMATCH


def test_a_signature_over_other_bytes_is_refused() -> None:
    key = rsa_key()
    prepared = prepare_signature(_request(), make_certificate(key), now=NOW)
    with pytest.raises(XadesError) as caught:
        complete_signature(prepared, _sign_elsewhere(key, prepared.signed_info + b" "))
    assert caught.value.reason is XadesRejection.SIGNATURE_MISMATCH


def test_der_encoded_ecdsa_and_wrong_lengths_are_refused_with_a_reason() -> None:
    key = ec_key()
    prepared = prepare_signature(_request(), make_certificate(key), now=NOW)
    der = key.sign(prepared.signed_info, ec.ECDSA(hashes.SHA256()))
    with pytest.raises(XadesError, match="R\\|\\|S o długości 64") as caught:
        complete_signature(prepared, der)
    assert caught.value.reason is XadesRejection.SIGNATURE_VALUE_MALFORMED
    with pytest.raises(XadesError) as caught:
        complete_signature(prepared, b"")
    assert caught.value.reason is XadesRejection.SIGNATURE_VALUE_MALFORMED


@pytest.mark.parametrize(
    ("certificate_key", "message"),
    [(rsa_key(1024), "co najmniej 2048"), (ec_key("secp224r1"), "nie jest obsługiwana")],
    ids=["rsa-1024", "p224"],
)
def test_certificates_whose_keys_cannot_sign_are_refused(certificate_key: PrivateKey, message: str) -> None:
    with pytest.raises(CertificateError, match=message):
        prepare_signature(_request(), make_certificate(certificate_key), now=NOW)


def test_only_unsigned_requests_are_prepared() -> None:
    key = ec_key()
    certificate = make_certificate(key)
    signed = XadesSigner(key, certificate).sign(_request(), now=NOW)
    with pytest.raises(XadesError) as caught:
        prepare_signature(signed, certificate, now=NOW)
    assert caught.value.reason is XadesRejection.SCHEMA_INVALID


@settings(max_examples=60, deadline=None)
@given(position=st.integers(min_value=0), flip=st.integers(min_value=1, max_value=255))
def test_any_changed_signature_byte_is_refused(position: int, flip: int) -> None:
    key = ec_key()
    prepared = prepare_signature(_request(), make_certificate(key), now=NOW)
    value = bytearray(_sign_elsewhere(key, prepared.signed_info))
    value[position % len(value)] ^= flip
    with pytest.raises(XadesError) as caught:
        complete_signature(prepared, bytes(value))
    assert caught.value.reason is XadesRejection.SIGNATURE_MISMATCH
