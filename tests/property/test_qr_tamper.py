"""KOD II: every signed link verifies, and changing any character of the link or any bit of the signature fails."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from ksef_mcu.crypto.errors import QrError
from ksef_mcu.crypto.keys import KeyKind, PrivateKey, generate_private_key
from ksef_mcu.crypto.qr import (
    QR_BASE_URLS,
    EcdsaSignatureEncoding,
    base64url,
    build_offline_qr_link,
    parse_offline_qr_link,
    verify_offline_qr_link,
)
from support.strategies import real_nips

NOW = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)


def _offline_certificate(key: PrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Offline (offline)")])
    usage = x509.KeyUsage(False, True, False, False, False, False, False, False, False)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(0x0123456789ABCDEF)
        .not_valid_before(NOW)
        .not_valid_after(NOW + dt.timedelta(days=730))
        .add_extension(usage, critical=True)
        .sign(key, hashes.SHA256())
    )


KEYS = {kind: generate_private_key(kind) for kind in KeyKind}
CERTIFICATES = {kind: _offline_certificate(key) for kind, key in KEYS.items()}
nips = real_nips()  # the links refuse anything but a real NIP


@st.composite
def signed_links(draw: st.DrawFn) -> tuple[KeyKind, str]:
    kind = draw(st.sampled_from(list(KeyKind)))
    link = build_offline_qr_link(
        draw(st.sampled_from(list(QR_BASE_URLS.values()))),
        context_type="Nip",
        context_value=draw(nips),
        seller_nip=draw(nips),
        invoice=draw(st.binary(max_size=200)),
        certificate=CERTIFICATES[kind],
        key=KEYS[kind],
        ecdsa_encoding=draw(st.sampled_from(list(EcdsaSignatureEncoding))),
        now=NOW,
    )
    return kind, link


@settings(max_examples=60, deadline=None)
@given(signed=signed_links())
def test_signed_links_verify(signed: tuple[KeyKind, str]) -> None:
    kind, link = signed
    assert verify_offline_qr_link(link, CERTIFICATES[kind]).link == link


@settings(max_examples=200, deadline=None)
@given(
    signed=signed_links(), position=st.integers(min_value=0), replacement=st.characters(blacklist_categories=("Cs",))
)
def test_any_changed_character_fails(signed: tuple[KeyKind, str], position: int, replacement: str) -> None:
    kind, link = signed
    position %= len(link)
    if link[position] == replacement:
        replacement = "A" if link[position] != "A" else "B"
    tampered = link[:position] + replacement + link[position + 1 :]
    with pytest.raises(QrError):
        verify_offline_qr_link(tampered, CERTIFICATES[kind])


@settings(max_examples=100, deadline=None)
@given(signed=signed_links(), bit=st.integers(min_value=0))
def test_any_flipped_signature_bit_fails(signed: tuple[KeyKind, str], bit: int) -> None:
    kind, link = signed
    parsed = parse_offline_qr_link(link)
    signature = bytearray(parsed.signature)
    bit %= len(signature) * 8
    signature[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(QrError):
        verify_offline_qr_link(f"{parsed.unsigned_link}/{base64url(bytes(signature))}", CERTIFICATES[kind])


@settings(max_examples=50, deadline=None)
@given(signed=signed_links(), cut=st.integers(min_value=1, max_value=40))
def test_truncated_or_extended_links_fail(signed: tuple[KeyKind, str], cut: int) -> None:
    kind, link = signed
    for tampered in (link[:-cut], link + "A" * cut, link + "/"):
        with pytest.raises(QrError):
            verify_offline_qr_link(tampered, CERTIFICATES[kind])
