"""The AuthTokenRequest document: its model, a builder, and a reader that enforces the schema rules.

The official schemas (`schemat_auth_v2-0.xsd`, `schemat_auth_v2-1.xsd`) are not shipped; the structure and value
rules are implemented here and tests prove that they judge documents the same way as the official XSDs.

Namespaces `http://ksef.mf.gov.pl/auth/token/2.0` and `.../2.1` share one structure:

    AuthTokenRequest
      Challenge                 xsd:token   \\d{8}-CR-[A-F0-9]{10}-[A-F0-9]{10}-[A-F0-9]{2}
      ContextIdentifier         exactly one of Nip | InternalId | NipVatUe | PeppolId (xsd:string, no trimming)
      SubjectIdentifierType     xsd:token   certificateSubject | certificateFingerprint
      AuthorizationPolicy?      AllowedIps: Ip4Address{0,10}, Ip4Range{0,10}, Ip4Mask{0,10} in that order

The schemas were written for .NET, whose pattern engine treats `^`/`$` as anchors and `\\b` as a word boundary; those
are the semantics the real KSeF applies and the ones implemented here (a strict XML Schema engine such as libxml2
reads `^`/`$` literally, rejects every real PeppolId and NipVatUe, and cannot compile the v2.0 IP patterns). Under
those semantics the v2.0 and v2.1 IP rules differ in one way only: v2.0 octets use `\\d`, which (as everywhere in XML
Schema) matches any Unicode decimal digit, while v2.1 octets use ASCII `[0-9]`.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from xml.sax.saxutils import escape

from lxml import etree

from ksef_mcu.crypto.errors import XadesError, XadesRejection
from ksef_mcu.crypto.xades._xml import collapse, element_children, local_name, parse_document, shown, simple_text
from ksef_mcu.identifiers import (
    CONTEXT_VALUE_SHAPES,
    AllowedIps,
    ContextIdentifier,
    ContextIdentifierType,
    SubjectIdentifierTypeXml,
)

__all__ = [
    "MAX_ALLOWED_IPS_PER_KIND",
    "AllowedIps",
    "AuthTokenNamespace",
    "AuthTokenRequest",
    "ContextIdentifier",
    "ContextIdentifierType",
    "SubjectIdentifierTypeXml",
    "build_auth_token_request",
    "check_allowed_ips",
    "check_challenge",
    "check_context_value",
    "read_auth_token_request",
    "validate_auth_token_request",
]

XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
_NAMESPACE_PREFIX = "http://ksef.mf.gov.pl/auth/token/"


class AuthTokenNamespace(enum.StrEnum):
    """The AuthTokenRequest schema version; `uri` is its XML namespace."""

    V2_0 = "2.0"
    V2_1 = "2.1"

    @property
    def uri(self) -> str:
        """The XML namespace, e.g. `http://ksef.mf.gov.pl/auth/token/2.1`."""
        return _NAMESPACE_PREFIX + self.value

    @classmethod
    def from_uri(cls, uri: str) -> AuthTokenNamespace | None:
        """The version whose namespace is `uri`, or None."""
        return _NAMESPACES_BY_URI.get(uri)


_NAMESPACES_BY_URI = {member.uri: member for member in AuthTokenNamespace}


@dataclass(frozen=True, slots=True)
class AuthTokenRequest:
    """The content of an AuthTokenRequest (values as XML Schema reads them: token values whitespace-collapsed)."""

    challenge: str
    context: ContextIdentifier
    subject_identifier_type: SubjectIdentifierTypeXml
    allowed_ips: AllowedIps | None
    namespace: AuthTokenNamespace


# --- value rules -------------------------------------------------------------------------------------------------
# `\d` is any Unicode decimal digit both in XML Schema and in Python's str patterns; `[0-9]` is ASCII in both. The
# context values follow the official patterns of `ksef_mcu.identifiers` (format only, as the schemas do).

_CHALLENGE = re.compile(r"\d{8}-CR-[A-F0-9]{10}-[A-F0-9]{10}-[A-F0-9]{2}")


def _ip_rules(octet: str) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    address = rf"(?:{octet}\.){{3}}{octet}"
    return (
        re.compile(address),
        re.compile(rf"{address}-{address}"),
        re.compile(rf"{address}/(?:[0-9]|[12][0-9]|3[0-2])"),
    )


_IP_RULES = {
    AuthTokenNamespace.V2_0: _ip_rules(r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]\d|\d)"),
    AuthTokenNamespace.V2_1: _ip_rules(r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])"),
}
_IP_ELEMENTS = ("Ip4Address", "Ip4Range", "Ip4Mask")
_IP_DESCRIPTION = {"Ip4Address": "adres IPv4", "Ip4Range": "zakres a.b.c.d-e.f.g.h", "Ip4Mask": "maska a.b.c.d/n"}
MAX_ALLOWED_IPS_PER_KIND = 10

#: Elements whose type is named in the schema: `xsi:type` may name exactly that type (nothing derives from it).
_NAMED_TYPES = {
    "ContextIdentifier": "TContextIdentifier",
    "SubjectIdentifierType": "SubjectIdentifierTypeEnum",
    "Nip": "TNIP",
    "InternalId": "TIID",
    "NipVatUe": "TNipVatUE",
    "PeppolId": "TPeppolId",
}
_XSI_SCHEMA_LOCATIONS = {f"{{{XSI_NS}}}schemaLocation", f"{{{XSI_NS}}}noNamespaceSchemaLocation"}
_XSI_TYPE = f"{{{XSI_NS}}}type"


def _invalid(detail: str) -> XadesError:
    return XadesError(XadesRejection.SCHEMA_INVALID, detail)


def check_challenge(value: str) -> None:
    """Raise `XadesError` (SCHEMA_INVALID) unless `value` is a KSeF challenge (36 characters)."""
    if not _CHALLENGE.fullmatch(value):
        raise _invalid(
            f"Challenge: wartość '{shown(value)}' nie jest wyzwaniem KSeF (np. 20250514-CR-226FB7B000-3ACF9BE4C0-10)."
        )


def check_context_value(context_type: ContextIdentifierType, value: str) -> None:
    """Raise `XadesError` (SCHEMA_INVALID) unless `value` has the official format of `context_type`."""
    if not ContextIdentifier(context_type, value).is_well_formed():
        raise _invalid(
            f"ContextIdentifier/{context_type.value}: wartość '{shown(value)}' jest nieprawidłowa "
            f"(oczekiwano: {CONTEXT_VALUE_SHAPES[context_type]})."
        )


def _check_ip(namespace: AuthTokenNamespace, kind: str, value: str) -> None:
    if not _IP_RULES[namespace][_IP_ELEMENTS.index(kind)].fullmatch(value):
        raise _invalid(
            f"AllowedIps/{kind}: wartość '{shown(value)}' nie jest poprawna (oczekiwano: {_IP_DESCRIPTION[kind]})."
        )


def check_allowed_ips(namespace: AuthTokenNamespace, allowed_ips: AllowedIps) -> None:
    """Raise `XadesError` (SCHEMA_INVALID) unless every entry is valid and no kind has more than 10 entries."""
    for kind, values in zip(_IP_ELEMENTS, _ip_lists(allowed_ips), strict=True):
        if len(values) > MAX_ALLOWED_IPS_PER_KIND:
            raise _invalid(f"AllowedIps: co najwyżej {MAX_ALLOWED_IPS_PER_KIND} elementów {kind}.")
        for value in values:
            _check_ip(namespace, kind, value)


def _ip_lists(allowed_ips: AllowedIps) -> tuple[tuple[str, ...], ...]:
    return (allowed_ips.ip4_addresses, allowed_ips.ip4_ranges, allowed_ips.ip4_masks)


# --- builder -----------------------------------------------------------------------------------------------------


def build_auth_token_request(
    challenge: str,
    context: ContextIdentifier,
    subject_identifier_type: SubjectIdentifierTypeXml | str,
    allowed_ips: AllowedIps | None = None,
    namespace: AuthTokenNamespace | str = AuthTokenNamespace.V2_1,
) -> bytes:
    """Build an unsigned AuthTokenRequest (UTF-8 with an XML declaration, compact).

    Every value is checked against the schema rules first; raises `XadesError` (SCHEMA_INVALID) with a Polish detail
    naming the offending field.
    """
    try:
        version = AuthTokenNamespace(namespace)
    except ValueError:
        raise _invalid(
            f"Nieznana wersja schematu AuthTokenRequest: '{shown(namespace)}' (dozwolone: 2.0, 2.1)."
        ) from None
    try:
        subject_type = SubjectIdentifierTypeXml(subject_identifier_type)
    except ValueError:
        raise _invalid(
            f"SubjectIdentifierType: wartość '{shown(subject_identifier_type)}' jest nieprawidłowa "
            "(dozwolone: certificateSubject, certificateFingerprint)."
        ) from None
    try:
        context_type = ContextIdentifierType(context.type)
    except ValueError:
        raise _invalid(f"Nieznany typ kontekstu: '{shown(context.type)}'.") from None
    check_challenge(challenge)
    check_context_value(context_type, context.value)
    parts = [
        f'<?xml version="1.0" encoding="utf-8"?>\n<AuthTokenRequest xmlns="{version.uri}">',
        f"<Challenge>{challenge}</Challenge>",
        f"<ContextIdentifier><{context_type.value}>{escape(context.value)}</{context_type.value}></ContextIdentifier>",
        f"<SubjectIdentifierType>{subject_type.value}</SubjectIdentifierType>",
    ]
    if allowed_ips is not None:
        check_allowed_ips(version, allowed_ips)
        parts.append("<AuthorizationPolicy><AllowedIps>")
        for kind, values in zip(_IP_ELEMENTS, _ip_lists(allowed_ips), strict=True):
            parts.extend(f"<{kind}>{value}</{kind}>" for value in values)
        parts.append("</AllowedIps></AuthorizationPolicy>")
    parts.append("</AuthTokenRequest>")
    return "".join(parts).encode("utf-8")


# --- reader ------------------------------------------------------------------------------------------------------


def _check_attributes(element: etree._Element, name: str, namespace: str) -> None:
    for key, raw_value in element.items():
        attribute, value = str(key), str(raw_value)
        if attribute in _XSI_SCHEMA_LOCATIONS:
            continue
        if attribute == _XSI_TYPE and name in _NAMED_TYPES:
            prefix, _, type_name = collapse(value).rpartition(":")
            if element.nsmap.get(prefix or None) == namespace and type_name == _NAMED_TYPES[name]:
                continue
        raise _invalid(f"{name}: niedozwolony atrybut '{shown(attribute)}'.")


def _children(element: etree._Element, name: str, namespace: str) -> list[etree._Element]:
    children = element_children(element)
    if children is None:
        raise _invalid(f"{name}: element może zawierać wyłącznie elementy podrzędne, a zawiera tekst.")
    for child in children:
        child_namespace, _, child_name = child.tag[1:].partition("}") if child.tag[0] == "{" else ("", "", child.tag)
        if child_namespace != namespace:
            raise _invalid(
                f"{name}: nieoczekiwany element '{shown(child_name)}' w przestrzeni nazw '{shown(child_namespace)}'."
            )
        _check_attributes(child, child_name, namespace)
    return children


def _value(element: etree._Element, name: str) -> str:
    value = simple_text(element)
    if value is None:
        raise _invalid(f"{name}: element nie może zawierać elementów podrzędnych.")
    return value


class _Sequence:
    """Walks the element children of one parent in schema order."""

    def __init__(self, parent_name: str, children: list[etree._Element]) -> None:
        self.parent_name = parent_name
        self.children = children
        self.position = 0

    def next_is(self, name: str) -> bool:
        return self.position < len(self.children) and local_name(self.children[self.position].tag) == name

    def take(self, name: str) -> etree._Element:
        if not self.next_is(name):
            found = (
                f"'{shown(local_name(self.children[self.position].tag))}'"
                if self.position < len(self.children)
                else "koniec"
            )
            raise _invalid(f"{self.parent_name}: oczekiwano elementu '{shown(name)}', znaleziono {found}.")
        element = self.children[self.position]
        self.position += 1
        return element

    def end(self) -> None:
        if self.position < len(self.children):
            raise _invalid(
                f"{self.parent_name}: nieoczekiwany element '{shown(local_name(self.children[self.position].tag))}'."
            )


def read_auth_token_request(root: etree._Element) -> AuthTokenRequest:
    """Check an AuthTokenRequest element (without any signature) against the schema rules and return its content.

    Raises `XadesError` (SCHEMA_INVALID) with a Polish detail naming the first rule that fails.
    """
    tag = root.tag
    if local_name(tag) != "AuthTokenRequest":
        raise _invalid(f"Elementem głównym musi być AuthTokenRequest, a jest '{shown(local_name(tag))}'.")
    namespace_uri = tag[1:].partition("}")[0] if tag.startswith("{") else ""
    version = AuthTokenNamespace.from_uri(namespace_uri)
    if version is None:
        raise _invalid(
            f"Nieznana przestrzeń nazw AuthTokenRequest: '{shown(namespace_uri)}' "
            f"(dozwolone: {AuthTokenNamespace.V2_0.uri}, {AuthTokenNamespace.V2_1.uri})."
        )
    _check_attributes(root, "AuthTokenRequest", namespace_uri)
    sequence = _Sequence("AuthTokenRequest", _children(root, "AuthTokenRequest", namespace_uri))

    challenge = collapse(_value(sequence.take("Challenge"), "Challenge"))
    check_challenge(challenge)

    context_element = sequence.take("ContextIdentifier")
    choice = _children(context_element, "ContextIdentifier", namespace_uri)
    if len(choice) != 1:
        raise _invalid("ContextIdentifier: wymagany dokładnie jeden z elementów Nip, InternalId, NipVatUe, PeppolId.")
    try:
        context_type = ContextIdentifierType(local_name(choice[0].tag))
    except ValueError:
        raise _invalid(f"ContextIdentifier: nieoczekiwany element '{shown(local_name(choice[0].tag))}'.") from None
    context_value = _value(choice[0], context_type.value)
    check_context_value(context_type, context_value)

    subject_text = collapse(_value(sequence.take("SubjectIdentifierType"), "SubjectIdentifierType"))
    try:
        subject_type = SubjectIdentifierTypeXml(subject_text)
    except ValueError:
        raise _invalid(
            f"SubjectIdentifierType: wartość '{shown(subject_text)}' jest nieprawidłowa "
            "(dozwolone: certificateSubject, certificateFingerprint)."
        ) from None

    allowed_ips = None
    if sequence.next_is("AuthorizationPolicy"):
        policy = _Sequence(
            "AuthorizationPolicy", _children(sequence.take("AuthorizationPolicy"), "AuthorizationPolicy", namespace_uri)
        )
        allowed_ips = _read_allowed_ips(version, policy.take("AllowedIps"), namespace_uri)
        policy.end()
    sequence.end()
    return AuthTokenRequest(
        challenge, ContextIdentifier(context_type, context_value), subject_type, allowed_ips, version
    )


def _read_allowed_ips(version: AuthTokenNamespace, element: etree._Element, namespace_uri: str) -> AllowedIps:
    sequence = _Sequence("AllowedIps", _children(element, "AllowedIps", namespace_uri))
    lists: list[list[str]] = []
    for kind in _IP_ELEMENTS:
        values: list[str] = []
        while sequence.next_is(kind):
            if len(values) == MAX_ALLOWED_IPS_PER_KIND:
                raise _invalid(f"AllowedIps: co najwyżej {MAX_ALLOWED_IPS_PER_KIND} elementów {kind}.")
            value = collapse(_value(sequence.take(kind), kind))
            _check_ip(version, kind, value)
            values.append(value)
        lists.append(values)
    sequence.end()
    return AllowedIps(tuple(lists[0]), tuple(lists[1]), tuple(lists[2]))


def validate_auth_token_request(xml: bytes) -> AuthTokenRequest:
    """Parse an unsigned AuthTokenRequest with the hardened parser and check it against the schema rules.

    A document that still carries a signature is not schema-valid (the schema has no place for it). Raises
    `XadesError` (MALFORMED_XML, DTD_FORBIDDEN, INVALID_ENCODING, SCHEMA_INVALID, ...).
    """
    return read_auth_token_request(parse_document(xml).getroot())
