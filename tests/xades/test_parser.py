"""The hardened parser: DOCTYPE refused up front, and even behind that the parser resolves and fetches nothing."""

from __future__ import annotations

import pytest
from lxml import etree

from ksef_mcu.crypto.errors import XadesError, XadesRejection
from ksef_mcu.crypto.xades._xml import _parser, parse_document


@pytest.mark.parametrize(
    "document",
    [
        b'<!DOCTYPE a SYSTEM "http://127.0.0.1:9/a.dtd"><a/>',
        b"\xef\xbb\xbf<?xml version='1.0'?><!-- x --><?pi?>\n<!DOCTYPE a><a/>",
        b'<!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/hostname">]><a>&e;</a>',
    ],
)
def test_doctype_is_refused_before_parsing(document: bytes) -> None:
    with pytest.raises(XadesError) as caught:
        parse_document(document)
    assert caught.value.reason is XadesRejection.DTD_FORBIDDEN


def test_the_parser_itself_expands_nothing() -> None:
    """Defence in depth: behind the DOCTYPE check, the parser does not resolve entities."""
    root = etree.fromstring(b'<!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]><a>&e;</a>', _parser())
    assert "root:" not in "".join(root.itertext())


def test_the_parser_itself_fetches_nothing() -> None:
    """An external DTD is not loaded (and a network load would be refused); its entities stay unexpanded."""
    root = etree.fromstring(b'<!DOCTYPE a SYSTEM "http://127.0.0.1:9/a.dtd"><a>&e;</a>', _parser())
    assert root.getroottree().docinfo.externalDTD is None
    assert [node.tag for node in root] == [etree.Entity]
    with pytest.raises(etree.XMLSyntaxError, match="network"):
        etree.fromstring(
            b'<!DOCTYPE a SYSTEM "http://127.0.0.1:9/a.dtd" [<!ENTITY e SYSTEM "file:///etc/passwd">]><a>&e;</a>',
            _parser(),
        )


def test_deep_nesting_is_refused() -> None:
    """huge_tree stays off, so libxml2's depth limit applies."""
    document = b"<a>" * 5000 + b"</a>" * 5000
    with pytest.raises(XadesError) as caught:
        parse_document(document)
    assert caught.value.reason is XadesRejection.MALFORMED_XML


def test_doctype_inside_a_comment_is_only_a_comment() -> None:
    parse_document(b"<!-- <!DOCTYPE a> --><a/>")


def test_non_bytes_are_a_programming_error() -> None:
    with pytest.raises(TypeError):
        parse_document("<a/>")  # type: ignore[arg-type]
