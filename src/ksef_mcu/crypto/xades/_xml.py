"""The hardened XML parser and small tree helpers shared by the AuthTokenRequest reader, signer and verifier.

Parsing never resolves entities, never loads a DTD and never touches the network; a document that declares a
DOCTYPE is refused before libxml2 sees it, and huge-tree mode stays off (libxml2's default depth and size limits).
"""

from __future__ import annotations

import re
import threading

from lxml import etree

from ksef_mcu.crypto.errors import XadesError, XadesRejection

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "canonicalize",
    "collapse",
    "element_children",
    "local_name",
    "parse_document",
    "shown",
    "simple_text",
]

#: Largest document accepted, in bytes. A signed AuthTokenRequest with one certificate is about 4-8 KiB; XAdES-LT/LTA
#: signatures carrying certificate and revocation values stay well below this.
MAX_DOCUMENT_BYTES = 1024 * 1024

_UTF8_BOM = b"\xef\xbb\xbf"
_XML_SPACE = " \t\r\n"
_XML_SPACE_RUN = re.compile("[ \t\r\n]+")
_local = threading.local()


def _parser() -> etree.XMLParser:
    # lxml parsers must not be shared between threads; one per thread keeps verification safe to run concurrently.
    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            load_dtd=False,
            dtd_validation=False,
            no_network=True,
            huge_tree=False,
            remove_blank_text=False,
            remove_comments=False,
            remove_pis=False,
            strip_cdata=True,
            collect_ids=False,
        )
        _local.parser = parser
    return parser


def _declares_doctype(data: bytes) -> bool:
    """Whether the prolog (before the root element) holds a DOCTYPE; a linear scan, no regular expressions."""
    position = len(_UTF8_BOM) if data.startswith(_UTF8_BOM) else 0
    end = len(data)
    while True:
        while position < end and data[position] in b" \t\r\n":
            position += 1
        if data.startswith(b"<?", position):
            close = data.find(b"?>", position + 2)
        elif data.startswith(b"<!--", position):
            close = data.find(b"-->", position + 4)
        else:
            return data.startswith(b"<!DOCTYPE", position)
        if close < 0:
            return False
        position = close + 2 if data[close] == ord("?") else close + 3


def _declared_encoding(data: bytes) -> str | None:
    body = data[len(_UTF8_BOM) :] if data.startswith(_UTF8_BOM) else data
    if not body.startswith(b"<?xml"):
        return None
    close = body.find(b"?>")
    declaration = body[: close if close >= 0 else 200]
    marker = declaration.find(b"encoding")
    if marker < 0:
        return None
    rest = declaration[marker + len(b"encoding") :].lstrip(b" \t\r\n")
    if not rest.startswith(b"="):
        return None
    rest = rest[1:].lstrip(b" \t\r\n")
    if not rest or rest[:1] not in (b'"', b"'"):
        return None
    value_end = rest.find(rest[:1], 1)
    return rest[1:value_end].decode("ascii", "replace") if value_end > 0 else None


def parse_document(data: bytes, *, max_bytes: int = MAX_DOCUMENT_BYTES) -> etree._ElementTree:
    """Parse an XML document received from outside with the hardened parser.

    `max_bytes` is the largest document accepted (other documents than AuthTokenRequest, e.g. invoices of up to
    3 MB, pass their own limit). Raises `XadesError` with DOCUMENT_TOO_LARGE, INVALID_ENCODING (not UTF-8),
    DTD_FORBIDDEN (DOCTYPE or entity declarations) or MALFORMED_XML.
    """
    if not isinstance(data, bytes):
        raise TypeError("the document must be bytes")
    if len(data) > max_bytes:
        raise XadesError(
            XadesRejection.DOCUMENT_TOO_LARGE,
            f"Dokument ma {len(data)} bajtów; dopuszczalne jest co najwyżej {max_bytes} bajtów.",
        )
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise XadesError(
            XadesRejection.INVALID_ENCODING,
            f"Dokument nie jest poprawnym tekstem UTF-8 (bajt na pozycji {error.start}).",
        ) from None
    encoding = _declared_encoding(data)
    if encoding is not None and encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise XadesError(
            XadesRejection.INVALID_ENCODING,
            f"Deklaracja XML wskazuje kodowanie '{shown(encoding)}'; wymagane jest UTF-8.",
        )
    if _declares_doctype(data):
        raise XadesError(XadesRejection.DTD_FORBIDDEN)
    if not data.strip():
        raise XadesError(XadesRejection.MALFORMED_XML, "Dokument jest pusty.")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as error:
        line, column = error.position
        raise XadesError(
            XadesRejection.MALFORMED_XML,
            f"Dokument nie jest poprawnym dokumentem XML (wiersz {line}, kolumna {column}).",
        ) from None
    tree = root.getroottree()
    docinfo = tree.docinfo
    if getattr(docinfo, "doctype", "") or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise XadesError(XadesRejection.DTD_FORBIDDEN)
    return tree


def collapse(text: str) -> str:
    """XML Schema `whiteSpace="collapse"`: tabs/CR/LF become spaces, runs of spaces shrink to one, ends trimmed."""
    return _XML_SPACE_RUN.sub(" ", text).strip(" ")


def simple_text(element: etree._Element) -> str | None:
    """The character content of an element with simple content, or None when it has element children.

    Comments and processing instructions inside the value are skipped (as XML Schema and canonicalization skip
    them), so `52658<!-- x -->77635` reads as `5265877635` — exactly the text that is signed.
    """
    parts = [element.text or ""]
    for child in element:
        tag: object = child.tag
        if tag.__class__ is str:
            return None
        parts.append(child.tail or "")
    return "".join(parts)


def element_children(element: etree._Element) -> list[etree._Element] | None:
    """Element children of an element with element-only content, or None when it holds non-white-space text."""
    text = element.text
    if text and text.strip(_XML_SPACE):
        return None
    children = []
    for child in element:
        tail = child.tail
        if tail and tail.strip(_XML_SPACE):
            return None
        tag: object = child.tag
        if tag.__class__ is str:
            children.append(child)
    return children


def shown(value: object, limit: int = 80) -> str:
    """A value from the document for an error detail: at most `limit` characters (details are echoed to clients)."""
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def local_name(tag: str) -> str:
    """`{ns}name` → `name`."""
    return tag.rpartition("}")[2]


def canonicalize(
    node: etree._Element | etree._ElementTree,
    *,
    exclusive: bool,
    with_comments: bool = False,
    inclusive_prefixes: list[str] | None = None,
) -> bytes:
    """Canonical XML 1.0 (inclusive or exclusive) of a whole document or of one element in its document context.

    For inclusive C14N an element is serialized first (lxml writes every namespace in scope on it) and parsed back as
    a document root: canonicalizing an element in place with lxml loses the default namespace on its grandchildren
    when that namespace is declared above the element (it emits `xmlns=""`), which would break every C#-style
    signature. Exclusive C14N in place is not affected (`tests/xades/test_canonicalization.py` checks both), so it
    skips the round trip. The xml:* attributes that inclusive C14N would inherit from ancestors are not carried
    over; callers refuse documents that have them there. Raises `XadesError` (MALFORMED_XML) when the document
    cannot be canonicalized.
    """
    if isinstance(node, etree._Element) and not exclusive:
        node = etree.fromstring(etree.tostring(node, with_tail=False), _parser())
    try:
        return etree.tostring(
            node,
            method="c14n",
            exclusive=exclusive,
            with_comments=with_comments,
            inclusive_ns_prefixes=inclusive_prefixes or None,
        )
    except etree.C14NError:
        # Canonical XML is undefined for relative namespace URIs (e.g. xmlns="http+//..."); libxml2 refuses them.
        raise XadesError(
            XadesRejection.MALFORMED_XML,
            "Dokumentu nie można kanonikalizować (np. względny URI przestrzeni nazw).",
        ) from None
