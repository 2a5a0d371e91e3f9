"""Property: flipping any byte of signed content makes verification fail, unless the flip is invisible to XML.

"Signed content" is every byte of the request outside the signature, plus SignedInfo and SignedProperties. A flip may
legitimately leave the signed XML unchanged (a space turned into a tab between attributes, LF into CR, which XML
reads as LF); then the document must still verify and say exactly the same. Either way, never another exception.
"""

from __future__ import annotations

import copy
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from ksef_mcu.crypto.errors import XadesError
from ksef_mcu.crypto.xades import VerifiedLogin, verify_auth_token_request
from ksef_mcu.crypto.xades.algorithms import DSIG_NS, XADES_NS

from .pki import NOW, ec_key, make_certificate, rsa_key
from .styles import CLIENT_STYLES, canonical, sign_in_style, unsigned_request


def _span(document: bytes, start: bytes, end: bytes) -> range:
    match = re.search(re.escape(start) + rb"[\s>].*?" + re.escape(end), document, re.DOTALL)
    assert match is not None, start
    return range(match.start(), match.end())


def _signed_positions(document: bytes, prefix: str) -> list[int]:
    root = _span(document, b"<AuthTokenRequest", b"</AuthTokenRequest>")
    signature = _span(document, f"<{prefix}Signature".encode(), f"</{prefix}Signature>".encode())
    signed_info = _span(document, f"<{prefix}SignedInfo".encode(), f"</{prefix}SignedInfo>".encode())
    properties = _span(document, b"<xades:SignedProperties", b"</xades:SignedProperties>")
    outside = [position for position in root if position not in signature]
    return sorted({*outside, *signed_info, *properties})


def _canonical_parts(document: bytes) -> tuple[bytes, ...] | None:
    """The canonical forms of everything signed (None when the document is not XML)."""
    try:
        tree = etree.fromstring(document, etree.XMLParser(resolve_entities=False, no_network=True)).getroottree()
    except etree.XMLSyntaxError:
        return None
    signatures = list(tree.getroot().iter(f"{{{DSIG_NS}}}Signature"))
    if len(signatures) != 1:
        return None
    signature = signatures[0]
    signed_info = signature.find(f"{{{DSIG_NS}}}SignedInfo")
    properties = signature.find(f".//{{{XADES_NS}}}SignedProperties")
    if signed_info is None or properties is None:
        return None
    request = copy.deepcopy(tree)
    request_signature = next(request.getroot().iter(f"{{{DSIG_NS}}}Signature"))
    parent = request_signature.getparent()
    if parent is None:
        return None
    request_signature.tail = None
    parent.remove(request_signature)
    return canonical(request, None), canonical(signed_info, None), canonical(properties, None)


CASES = {}
for _name in ("csharp", "java-dss", "ksef2"):
    _style, _layout = CLIENT_STYLES[_name]
    for _key_name, _key in (("ec", ec_key()), ("rsa", rsa_key())):
        _document = sign_in_style(unsigned_request(layout=_layout), _key, make_certificate(_key), _style, NOW)
        CASES[f"{_name}-{_key_name}"] = (
            _document,
            _signed_positions(_document, f"{_style.prefix}:" if _style.prefix else ""),
        )


def _replacement(byte: int) -> st.SearchStrategy[int]:
    """Another byte: half the time printable ASCII or XML white space (so the flip stays well-formed UTF-8 more
    often and reaches the signature checks), otherwise any XOR of the original."""
    ascii_bytes = st.sampled_from(sorted({*range(0x20, 0x7F), 0x09, 0x0A, 0x0D} - {byte}))
    return st.one_of(ascii_bytes, st.integers(1, 255).map(lambda mask: byte ^ mask))


@pytest.mark.parametrize("case", sorted(CASES))
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_flipping_a_signed_byte_fails_verification(case: str, data: st.DataObject) -> None:
    document, positions = CASES[case]
    position = data.draw(st.sampled_from(positions), label="position")
    flipped = bytearray(document)
    flipped[position] = data.draw(_replacement(document[position]), label="byte")
    flipped_document = bytes(flipped)
    original: VerifiedLogin = verify_auth_token_request(document, now=NOW)
    try:
        login = verify_auth_token_request(flipped_document, now=NOW)
    except XadesError:
        return
    # Accepted: only if nothing signed changed, and then the result is the same.
    assert _canonical_parts(flipped_document) == _canonical_parts(document), position
    assert login == original


def test_signed_positions_cover_the_request_and_exclude_the_signature_value() -> None:
    document, positions = CASES["csharp-ec"]
    signature_value = _span(document, b"<SignatureValue", b"</SignatureValue>")
    challenge = document.index(b"<Challenge>")
    assert challenge in positions
    assert not set(signature_value) & set(positions)
    assert len(positions) > 1500


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_any_corruption_is_refused_with_a_xades_error_or_accepted(data: st.DataObject) -> None:
    """Anywhere in the document, one to three changed bytes: the verifier answers, it never crashes."""
    document, _ = CASES[data.draw(st.sampled_from(sorted(CASES)), label="case")]
    corrupted = bytearray(document)
    for _ in range(data.draw(st.integers(1, 3), label="flips")):
        position = data.draw(st.integers(0, len(document) - 1), label="position")
        corrupted[position] = data.draw(_replacement(corrupted[position]), label="byte")
    error: XadesError | None = None
    try:
        verify_auth_token_request(bytes(corrupted), now=NOW)
    except XadesError as caught:
        error = caught
    assert error is None or error.code in (9101, 9102, 9103, 9105, 21001, 21115, 21217, 21401)
