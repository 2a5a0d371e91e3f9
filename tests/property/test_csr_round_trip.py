"""CSRs: build → inspect → check holds for any enrollment data; order does not matter; any changed value is 25003."""

from __future__ import annotations

import base64
import dataclasses

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from hypothesis import given, settings
from hypothesis import strategies as st

from ksef_mcu.crypto.csr import EnrollmentData, build_subject_name, check_csr, create_csr, inspect_csr
from ksef_mcu.crypto.errors import CsrError
from ksef_mcu.crypto.keys import KeyKind, generate_private_key, public_key_sha256_fingerprint

KEYS = {kind: generate_private_key(kind) for kind in KeyKind}
values = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30)
optional = st.none() | values
enrollment_data = st.builds(
    EnrollmentData,
    common_name=values,
    country_name=st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), min_size=2, max_size=2),
    given_name=optional,
    surname=optional,
    serial_number=optional,
    unique_identifier=optional,
    organization_name=optional,
    organization_identifier=optional,
)
kinds_and_paddings = st.sampled_from(
    [(KeyKind.EC_P256, "pkcs1"), (KeyKind.RSA_2048, "pkcs1"), (KeyKind.RSA_2048, "pss")]
)


@settings(max_examples=40, deadline=None)
@given(data=enrollment_data, choice=kinds_and_paddings)
def test_build_inspect_check(data: EnrollmentData, choice: tuple[KeyKind, str]) -> None:
    kind, padding = choice
    key = KEYS[kind]
    text = create_csr(key, data, rsa_padding=padding)  # type: ignore[arg-type]
    info = check_csr(text, data)
    assert info == inspect_csr(text)
    assert info.key_kind is kind
    assert info.spki_sha256 == public_key_sha256_fingerprint(key)
    assert info.subject == {(oid.dotted_string, value) for oid, value in data.attributes()}
    assert EnrollmentData.from_api(data.to_api()) == data


@settings(max_examples=30, deadline=None)
@given(data=enrollment_data, seed=st.randoms(use_true_random=False))
def test_any_order_is_accepted(data: EnrollmentData, seed: object) -> None:
    attributes = list(build_subject_name(data))
    seed.shuffle(attributes)  # type: ignore[attr-defined]
    request = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name(attributes))
        .sign(KEYS[KeyKind.EC_P256], hashes.SHA256())
    )
    text = base64.b64encode(request.public_bytes(serialization.Encoding.DER)).decode()
    assert check_csr(text, data).subject_attributes == tuple((a.oid.dotted_string, a.value) for a in attributes)


@settings(max_examples=30, deadline=None)
@given(data=enrollment_data, field=st.sampled_from([f.name for f in dataclasses.fields(EnrollmentData)]), new=values)
def test_any_changed_field_is_25003(data: EnrollmentData, field: str, new: str) -> None:
    if field == "country_name":
        new = "XX" if data.country_name != "XX" else "YY"
    changed = dataclasses.replace(data, **{field: new})
    if changed == data:
        return
    text = create_csr(KEYS[KeyKind.EC_P256], changed)
    with pytest.raises(CsrError) as raised:
        check_csr(text, data)
    assert raised.value.code == 25003
