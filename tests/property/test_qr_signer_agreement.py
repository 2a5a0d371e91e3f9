"""The reusable `OfflineQrSigner` and the one-call `build_offline_qr_link` produce the same links for any input.

Signatures are randomised (ECDSA nonce, PSS salt), so "the same" means: every character up to the signature segment
is identical, both signatures verify with the certificate, and they have the same encoding. Tampered signer links
fail verification like any other.
"""

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
    InvoiceHash,
    OfflineQrSigner,
    build_offline_qr_link,
    parse_offline_qr_link,
    verify_offline_qr_link,
)
from support.strategies import real_contexts, real_nips

NOW = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)


def _offline_certificate(key: PrivateKey, serial: int) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Offline (offline)")])
    usage = x509.KeyUsage(False, True, False, False, False, False, False, False, False)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(NOW)
        .not_valid_after(NOW + dt.timedelta(days=730))
        .add_extension(usage, critical=True)
        .sign(key, hashes.SHA256())
    )


KEYS = {kind: generate_private_key(kind) for kind in KeyKind}

# KOD links carry real identifiers only (check digits included).
nips = real_nips()
contexts = real_contexts()
bases = st.one_of(st.sampled_from(list(QR_BASE_URLS.values())), st.just("http://localhost:8123/qr/"))


@settings(max_examples=80, deadline=None)
@given(
    kind=st.sampled_from(list(KeyKind)),
    base=bases,
    context=contexts,
    seller=nips,
    invoice=st.binary(max_size=2000),
    serial=st.integers(1, 2**63 - 1),
    encoding=st.sampled_from(list(EcdsaSignatureEncoding)),
    pass_hash=st.booleans(),
)
def test_signer_and_function_agree(
    kind: KeyKind,
    base: str,
    context: tuple[str, str],
    seller: str,
    invoice: bytes,
    serial: int,
    encoding: EcdsaSignatureEncoding,
    pass_hash: bool,
) -> None:
    key = KEYS[kind]
    certificate = _offline_certificate(key, serial)
    context_type, context_value = context
    given_invoice = InvoiceHash.of(invoice) if pass_hash else invoice
    function = build_offline_qr_link(
        base,
        context_type=context_type,
        context_value=context_value,
        seller_nip=seller,
        invoice=given_invoice,
        certificate=certificate,
        key=key,
        ecdsa_encoding=encoding,
        now=NOW,
    )
    bulk = OfflineQrSigner(
        base,
        context_type=context_type,
        context_value=context_value,
        certificate=certificate,
        key=key,
        ecdsa_encoding=encoding,
        now=NOW,
    ).link(seller, given_invoice, now=NOW)
    assert bulk.rsplit("/", 1)[0] == function.rsplit("/", 1)[0]
    ours, theirs = verify_offline_qr_link(bulk, certificate), verify_offline_qr_link(function, certificate)
    assert (ours.base_url, ours.context_type, ours.context_value, ours.seller_nip) == (
        theirs.base_url,
        theirs.context_type,
        theirs.context_value,
        theirs.seller_nip,
    )
    assert (ours.certificate_serial, ours.invoice_hash, ours.signed_data) == (
        theirs.certificate_serial,
        theirs.invoice_hash,
        theirs.signed_data,
    )
    if kind is KeyKind.EC_P256 and encoding is EcdsaSignatureEncoding.P1363:
        assert len(ours.signature) == len(theirs.signature) == 64
    elif kind is KeyKind.EC_P256:
        assert ours.signature[0] == theirs.signature[0] == 0x30
    else:
        assert len(ours.signature) == len(theirs.signature) == 256


@settings(max_examples=80, deadline=None)
@given(kind=st.sampled_from(list(KeyKind)), position=st.integers(min_value=0), replacement=st.characters(codec="ascii"))
def test_changed_signer_link_fails(kind: KeyKind, position: int, replacement: str) -> None:
    key = KEYS[kind]
    certificate = _offline_certificate(key, 0x0123456789ABCDEF)
    link = OfflineQrSigner(
        QR_BASE_URLS[next(iter(QR_BASE_URLS))], context_type="Nip", context_value="8096529464", certificate=certificate,
        key=key,
    ).link("8096529464", b"<Faktura/>")  # fmt: skip
    index = position % len(link)
    if link[index] == replacement:
        return
    changed = link[:index] + replacement + link[index + 1 :]
    with pytest.raises(QrError):
        verify_offline_qr_link(changed, certificate)
    assert parse_offline_qr_link(link).link == link
