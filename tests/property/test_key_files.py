"""Key files: whatever the password and key, writing and reading gives back the same key; other passwords fail."""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ksef_mcu.crypto.errors import WrongPasswordError
from ksef_mcu.crypto.keys import KeyKind, PrivateKey, encrypt_private_key, generate_private_key, load_private_key
from ksef_mcu.crypto.keys import public_key_sha256_fingerprint as fingerprint

KEYS: dict[KeyKind, PrivateKey] = {kind: generate_private_key(kind) for kind in KeyKind}
passwords = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(list(KeyKind)), password=passwords, fresh=st.booleans())
def test_round_trip(kind: KeyKind, password: str, fresh: bool) -> None:
    key = generate_private_key(kind) if fresh and kind is KeyKind.EC_P256 else KEYS[kind]
    loaded = load_private_key(encrypt_private_key(key, password), password)
    assert fingerprint(loaded) == fingerprint(key)
    # The loaded key signs what the original public key verifies.
    if isinstance(loaded, ec.EllipticCurvePrivateKey):
        key.public_key().verify(loaded.sign(b"data", ec.ECDSA(hashes.SHA256())), b"data", ec.ECDSA(hashes.SHA256()))
    else:
        signature = loaded.sign(b"data", padding.PKCS1v15(), hashes.SHA256())
        key.public_key().verify(signature, b"data", padding.PKCS1v15(), hashes.SHA256())


@settings(max_examples=20, deadline=None)
@given(kind=st.sampled_from(list(KeyKind)), password=passwords, other=passwords)
def test_other_password_fails(kind: KeyKind, password: str, other: str) -> None:
    if other == password:
        return
    data = encrypt_private_key(KEYS[kind], password)
    try:
        load_private_key(data, other)
    except WrongPasswordError:
        return
    raise AssertionError("a different password opened the key file")
