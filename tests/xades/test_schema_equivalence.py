"""Our AuthTokenRequest rules judge documents exactly as the official XSDs do.

The XSDs are read from the official documentation snapshot (never copied here). They were written for .NET, where
`^`/`$` in a pattern are anchors and `\\b` is a word boundary, and that is what the real KSeF applies; libxml2 follows
XML Schema strictly (`^`/`$` are literal characters, `\\b` is not allowed). So the reference used here is the official
XSD with exactly those two .NET-isms rewritten into plain XML Schema (`xsd_with_dotnet_patterns`); a second test runs
the untouched v2.1 XSD on every document whose verdict those two points cannot change.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from ksef_mcu.crypto.errors import XadesError, XadesRejection
from ksef_mcu.crypto.xades.request import validate_auth_token_request
from ksef_mcu.identifiers import EU_VAT_NUMBER_FORMATS

XSD_NS = "http://www.w3.org/2001/XMLSchema"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
NAMESPACES = {"2.0": "http://ksef.mf.gov.pl/auth/token/2.0", "2.1": "http://ksef.mf.gov.pl/auth/token/2.1"}
CHALLENGE = "20260520-CR-46F7284000-D8D06263E5-C5"


def _without_word_boundary(pattern: str) -> str:
    r"""Rewrite `(OCTET\.?\b){4}` as `(OCTET\.){3}OCTET`.

    With `\b` a word boundary, a dot is required between octets (two digits never have a boundary between them) and
    a trailing dot is refused (no boundary between `.` and the end), so both say "four octets joined by dots".
    """
    marker = r"\.?\b){4}"
    while (end := pattern.find(marker)) >= 0:
        depth = 0
        start = end - 1
        while start >= 0:
            if pattern[start] == ")":
                depth += 1
            elif pattern[start] == "(":
                if depth == 0:
                    break
                depth -= 1
            start -= 1
        octet = pattern[start + 1 : end]
        pattern = pattern[:start] + f"({octet}\\.){{3}}{octet}" + pattern[end + len(marker) :]
    return pattern


def as_xml_schema_pattern(dotnet_pattern: str) -> str:
    """An XSD pattern as .NET reads it, written in plain XML Schema (which anchors every pattern anyway)."""
    pattern = dotnet_pattern.removeprefix("^").removesuffix("$")
    return _without_word_boundary(pattern)


def official_schema(docs: Path, version: str, *, dotnet_patterns: bool) -> etree.XMLSchema:
    path = docs / "auth" / "schemy" / f"schemat_auth_v2-{version[-1]}.xsd"
    if not path.is_file():
        pytest.skip(f"{path} not found in the documentation snapshot")
    tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    if dotnet_patterns:
        for pattern in tree.iter(f"{{{XSD_NS}}}pattern"):
            pattern.set("value", as_xml_schema_pattern(pattern.get("value") or ""))
    return etree.XMLSchema(tree)


@pytest.fixture(scope="module")
def schemas(ksef_docs: Path) -> dict[str, etree.XMLSchema]:
    return {version: official_schema(ksef_docs, version, dotnet_patterns=True) for version in NAMESPACES}


def ours_accepts(document: bytes) -> bool:
    error: XadesError | None = None
    try:
        validate_auth_token_request(document)
    except XadesError as caught:
        error = caught
    if error is None:
        return True
    assert error.reason is XadesRejection.SCHEMA_INVALID, error
    assert error.details[0], "every schema error names what is wrong"
    return False


def xsd_accepts(schema: etree.XMLSchema, document: bytes) -> bool:
    return schema.validate(etree.fromstring(document))


def request(
    version: str = "2.1",
    *,
    challenge: str = CHALLENGE,
    context: str = "<Nip>5265877635</Nip>",
    subject: str = "<SubjectIdentifierType>certificateSubject</SubjectIdentifierType>",
    policy: str = "",
    root_attributes: str = "",
    between: str = "",
    context_attributes: str = "",
) -> bytes:
    body = (
        f"<Challenge>{challenge}</Challenge>{between}"
        f"<ContextIdentifier{context_attributes}>{context}</ContextIdentifier>{between}{subject}{between}{policy}"
    )
    xsi = f'xmlns:xsi="{XSI}"'
    return f'<AuthTokenRequest xmlns="{NAMESPACES[version]}" {xsi}{root_attributes}>{body}</AuthTokenRequest>'.encode()


def policy(*entries: str) -> str:
    return f"<AuthorizationPolicy><AllowedIps>{''.join(entries)}</AllowedIps></AuthorizationPolicy>"


def ips(kind: str, *values: str) -> str:
    return "".join(f"<{kind}>{value}</{kind}>" for value in values)


VALID_VAT = {
    "AT": ["U12345678"],
    "BE": ["0123456789", "1123456789"],
    "BG": ["123456789", "1234567890"],
    "CY": ["12345678L"],
    "CZ": ["12345678", "1234567890"],
    "DE": ["123456789"],
    "DK": ["12345678"],
    "EE": ["123456789"],
    "EL": ["123456789"],
    "ES": ["A12345678", "12345678Z", "A1234567Z"],
    "FI": ["12345678"],
    "FR": ["AB123456789", "12123456789"],
    "HR": ["12345678901"],
    "HU": ["12345678"],
    "IE": ["1234567WA", "1A23456B", "1+23456B"],
    "IT": ["12345678901"],
    "LT": ["123456789", "123456789012"],
    "LU": ["12345678"],
    "LV": ["12345678901"],
    "MT": ["12345678"],
    "NL": ["123456789B01", "ABCDEFGHIJ+*"],
    "PT": ["123456789"],
    "RO": ["12", "1234567890"],
    "SE": ["123456789012"],
    "SI": ["12345678"],
    "SK": ["1234567890"],
    "XI": ["123456789", "123456789012", "GD123", "HA999"],
}
INVALID_VAT = [
    "ATU1234567",
    "AT12345678",
    "BE2123456789",
    "BG12345678",
    "CY123456789",
    "CZ1234567",
    "DE12345678",
    "ES123456789",
    "FRAB12345678",
    "IE12345678",
    "NL123456789B0",
    "RO1",
    "RO12345678901",
    "XIGD12",
    "XIAB123",
    "PL1234567890",
    "GR123456789",
    "de123456789",
]


def corpus() -> Iterator[tuple[str, bytes]]:
    """(label, document) pairs: valid and invalid AuthTokenRequests in both namespaces."""
    for version, namespace in NAMESPACES.items():

        def case(label: str, document: bytes, version: str = version) -> tuple[str, bytes]:
            return f"{version} {label}", document

        yield case("minimal", request(version))
        yield case(
            "fingerprint",
            request(version, subject="<SubjectIdentifierType>certificateFingerprint</SubjectIdentifierType>"),
        )
        yield case(
            "subject with spaces",
            request(version, subject="<SubjectIdentifierType>\n certificateSubject\t</SubjectIdentifierType>"),
        )
        yield case(
            "subject wrong case",
            request(version, subject="<SubjectIdentifierType>CertificateSubject</SubjectIdentifierType>"),
        )
        yield case("subject empty", request(version, subject="<SubjectIdentifierType/>"))
        yield case("subject missing", request(version, subject=""))
        yield case("pretty", request(version, between="\n  "))
        yield case("comments and PIs", request(version, between="<!-- c --><?pi x?>"))
        yield case("text between", request(version, between="x"))
        yield case("nbsp between", request(version, between="\u00a0"))
        for challenge in (
            CHALLENGE,
            f"  {CHALLENGE}\n",
            f"\t{CHALLENGE}\r\n",
            "٢٠٢٦٠٥٢٠-CR-46F7284000-D8D06263E5-C5",
            CHALLENGE.lower(),
            CHALLENGE[:-1],
            CHALLENGE + "0",
            "\u00a0" + CHALLENGE,
            CHALLENGE.replace("-CR-", "-CX-"),
            CHALLENGE.replace("-", " ", 1),
            "20260520-CR-46F7284000-D8D06263E5-C<!-- -->5",
            "<![CDATA[" + CHALLENGE + "]]>",
            "",
        ):
            yield case(f"challenge {challenge!r}", request(version, challenge=challenge))
        for nip in (
            "5265877635",
            "1005877635",
            "1015877635",
            "1105877635",
            "0265877635",
            "526587763",
            "52658776350",
            " 5265877635",
            "5265877635 ",
            "5２65877635",
            "５265877635",
            "52658<!-- x -->77635",
            "52658<?p?>77635",
            "526587763a",
        ):
            yield case(f"Nip {nip!r}", request(version, context=f"<Nip>{nip}</Nip>"))
        for internal_id in (
            "5265877635-12345",
            "5265877635-1234",
            "5265877635-123456",
            "5265877635_12345",
            "0265877635-12345",
        ):
            yield case(
                f"InternalId {internal_id!r}", request(version, context=f"<InternalId>{internal_id}</InternalId>")
            )
        for country, numbers in VALID_VAT.items():
            for number in numbers:
                yield case(
                    f"NipVatUe {country}{number}",
                    request(version, context=f"<NipVatUe>5265877635-{country}{number}</NipVatUe>"),
                )
        for number in INVALID_VAT:
            yield case(f"NipVatUe {number}", request(version, context=f"<NipVatUe>5265877635-{number}</NipVatUe>"))
        yield case("NipVatUe bad NIP", request(version, context="<NipVatUe>0265877635-DE123456789</NipVatUe>"))
        yield case("NipVatUe no dash", request(version, context="<NipVatUe>5265877635DE123456789</NipVatUe>"))
        for peppol in ("PPL123456", "PAB000000", "ppl123456", "PPL12345", "PPL1234567", "P1L123456", "PPL12345６"):
            yield case(f"PeppolId {peppol!r}", request(version, context=f"<PeppolId>{peppol}</PeppolId>"))
        yield case("no context child", request(version, context=""))
        yield case("two context children", request(version, context="<Nip>5265877635</Nip><Nip>5265877635</Nip>"))
        yield case("unknown context child", request(version, context="<Pesel>88102341294</Pesel>"))
        yield case("context text", request(version, context="x<Nip>5265877635</Nip>"))
        yield case("element inside Nip", request(version, context="<Nip><b>5265877635</b></Nip>"))
        yield case("Nip in other namespace", request(version, context='<Nip xmlns="urn:other">5265877635</Nip>'))
        other = "2.0" if version == "2.1" else "2.1"
        yield case(
            "Nip in the other version's namespace",
            request(version, context=f'<Nip xmlns="{NAMESPACES[other]}">5265877635</Nip>'),
        )
        yield case("schemaLocation", request(version, root_attributes=' xsi:schemaLocation="urn:a a.xsd"'))
        yield case(
            "noNamespaceSchemaLocation", request(version, root_attributes=' xsi:noNamespaceSchemaLocation="a.xsd"')
        )
        yield case("xsi:nil false", request(version, root_attributes=' xsi:nil="false"'))
        yield case("xsi:type on root", request(version, root_attributes=' xsi:type="AuthTokenRequest"'))
        yield case("xsi:foo", request(version, root_attributes=' xsi:foo="1"'))
        yield case("plain attribute", request(version, root_attributes=' Id="request"'))
        yield case("foreign attribute", request(version, root_attributes=' xmlns:o="urn:o" o:a="1"'))
        yield case("xml:lang", request(version, root_attributes=' xml:lang="pl"'))
        ns = namespace
        yield case(
            "xsi:type same type",
            request(version, context_attributes=f' xmlns:t="{ns}" xsi:type="t:TContextIdentifier"'),
        )
        yield case("xsi:type default-ns type", request(version, context_attributes=' xsi:type="TContextIdentifier"'))
        yield case("xsi:type other type", request(version, context_attributes=f' xmlns:t="{ns}" xsi:type="t:TNIP"'))
        yield case(
            "xsi:type on Nip", request(version, context=f'<Nip xmlns:t="{ns}" xsi:type="t:TNIP">5265877635</Nip>')
        )
        yield case(
            "xsi:type xsd:string on Nip",
            request(version, context=f'<Nip xmlns:x="{XSD_NS}" xsi:type="x:string">5265877635</Nip>'),
        )
        yield case("policy empty AllowedIps", request(version, policy=policy()))
        yield case("policy without AllowedIps", request(version, policy="<AuthorizationPolicy/>"))
        yield case("policy twice", request(version, policy=policy() * 2))
        yield case(
            "two AllowedIps",
            request(version, policy="<AuthorizationPolicy><AllowedIps/><AllowedIps/></AuthorizationPolicy>"),
        )
        yield case(
            "policy before subject",
            request(
                version,
                subject="",
                policy=policy() + "<SubjectIdentifierType>certificateSubject</SubjectIdentifierType>",
            ),
        )
        yield case("extra element at end", request(version, policy="<Extra/>"))
        yield case("order swapped", request(version).replace(b"<Challenge>", b"<X>").replace(b"</Challenge>", b"</X>"))
        for kind in ("Ip4Address", "Ip4Range", "Ip4Mask"):
            sample = {"Ip4Address": "10.0.0.1", "Ip4Range": "10.0.0.1-10.0.0.9", "Ip4Mask": "10.0.0.0/8"}[kind]
            yield case(f"10 x {kind}", request(version, policy=policy(ips(kind, *[sample] * 10))))
            yield case(f"11 x {kind}", request(version, policy=policy(ips(kind, *[sample] * 11))))
        yield case(
            "all kinds in order",
            request(
                version,
                policy=policy(
                    ips("Ip4Address", "1.2.3.4"), ips("Ip4Range", "1.1.1.1-2.2.2.2"), ips("Ip4Mask", "0.0.0.0/0")
                ),
            ),
        )
        yield case(
            "kinds out of order",
            request(version, policy=policy(ips("Ip4Mask", "0.0.0.0/0"), ips("Ip4Address", "1.2.3.4"))),
        )
        for address in (
            "0.0.0.0",
            "255.255.255.255",
            "192.168.1.10",
            " 10.0.0.1 ",
            "256.1.1.1",
            "01.2.3.4",
            "1.2.3",
            "1.2.3.4.",
            "1.2.3.4.5",
            "1..2.3",
            "1234",
            "１.2.3.4",
            "1.2.3.٤",
            "1.2.3.4/8",
            "a.b.c.d",
            "",
        ):
            yield case(f"Ip4Address {address!r}", request(version, policy=policy(ips("Ip4Address", address))))
        for ip_range in ("1.2.3.4-5.6.7.8", "1.2.3.4 - 5.6.7.8", "1.2.3.4-5.6.7", "1.2.3.4-256.0.0.0", "1.2.3.4"):
            yield case(f"Ip4Range {ip_range!r}", request(version, policy=policy(ips("Ip4Range", ip_range))))
        for mask in (
            "10.0.0.0/0",
            "10.0.0.0/9",
            "10.0.0.0/10",
            "10.0.0.0/32",
            "10.0.0.0/33",
            "10.0.0.0/01",
            "10.0.0.0/",
            "10.0.0.0",
        ):
            yield case(f"Ip4Mask {mask!r}", request(version, policy=policy(ips("Ip4Mask", mask))))
    yield (
        "root in unknown namespace",
        request().replace(NAMESPACES["2.1"].encode(), b"http://ksef.mf.gov.pl/auth/token/2.2"),
    )
    yield (
        "root without namespace",
        b"<AuthTokenRequest><Challenge>" + CHALLENGE.encode() + b"</Challenge></AuthTokenRequest>",
    )
    yield (
        "prefixed root",
        (
            f'<k:AuthTokenRequest xmlns:k="{NAMESPACES["2.0"]}"><k:Challenge>{CHALLENGE}</k:Challenge>'
            "<k:ContextIdentifier><k:Nip>5265877635</k:Nip></k:ContextIdentifier><k:SubjectIdentifierType>certificateSubject"
            "</k:SubjectIdentifierType></k:AuthTokenRequest>"
        ).encode(),
    )
    yield "other root element", f'<AuthRequest xmlns="{NAMESPACES["2.1"]}"/>'.encode()


CORPUS = list(corpus())


def _version(document: bytes) -> str:
    return "2.0" if NAMESPACES["2.0"].encode() in document else "2.1"


@pytest.mark.parametrize(("label", "document"), CORPUS, ids=[label for label, _ in CORPUS])
def test_rules_match_the_official_xsd(schemas: dict[str, etree.XMLSchema], label: str, document: bytes) -> None:
    assert ours_accepts(document) is xsd_accepts(schemas[_version(document)], document), label


def test_corpus_has_both_verdicts(schemas: dict[str, etree.XMLSchema]) -> None:
    verdicts = [xsd_accepts(schemas[_version(document)], document) for _, document in CORPUS]
    assert len(CORPUS) > 250
    assert 0.3 < sum(verdicts) / len(verdicts) < 0.7


def _dotnet_sensitive(document: bytes) -> bool:
    return b"<NipVatUe" in document or b"<PeppolId" in document


@pytest.mark.parametrize(
    ("label", "document"),
    [
        (label, document)
        for label, document in CORPUS
        if _version(document) == "2.1" and not _dotnet_sensitive(document)
    ],
)
def test_rules_match_the_untouched_v2_1_xsd(ksef_docs: Path, label: str, document: bytes) -> None:
    schema = official_schema(ksef_docs, "2.1", dotnet_patterns=False)
    assert ours_accepts(document) is xsd_accepts(schema, document), label


def test_anchors_are_read_as_dotnet_reads_them(ksef_docs: Path) -> None:
    """A strict XML Schema engine takes `^...$` literally; KSeF (.NET) and we take them as anchors."""
    strict = official_schema(ksef_docs, "2.1", dotnet_patterns=False)
    real_peppol = request(context="<PeppolId>PPL123456</PeppolId>")
    literal_peppol = request(context="<PeppolId>^PPL123456$</PeppolId>")
    real_vat = request(context="<NipVatUe>5265877635-DE123456789</NipVatUe>")
    assert not xsd_accepts(strict, real_peppol)
    assert xsd_accepts(strict, literal_peppol)
    assert not xsd_accepts(strict, real_vat)
    assert ours_accepts(real_peppol)
    assert ours_accepts(real_vat)
    assert not ours_accepts(literal_peppol)


def test_unicode_digits_follow_current_unicode(ksef_docs: Path, schemas: dict[str, etree.XMLSchema]) -> None:
    """XML Schema's `\\d` is any Unicode decimal digit. libxml2 still uses Unicode 3.x tables; Python (like .NET, which
    the real KSeF runs on) uses a current one, so digits added later (here TAMIL DIGIT ZERO, Unicode 4.1) are the one
    place where our verdict and libxml2's differ. Old non-ASCII digits are accepted by both."""
    tamil = request(challenge="2026052\u0be6-CR-46F7284000-D8D06263E5-C5")
    arabic = request(challenge="2026052\u0660-CR-46F7284000-D8D06263E5-C5")
    assert ours_accepts(tamil)
    assert not xsd_accepts(schemas["2.1"], tamil)
    assert ours_accepts(arabic)
    assert xsd_accepts(schemas["2.1"], arabic)


def test_pattern_rewrite_is_exactly_the_two_dotnet_points(ksef_docs: Path) -> None:
    patterns = {
        version: [
            pattern.get("value") or ""
            for pattern in etree.parse(str(ksef_docs / "auth" / "schemy" / f"schemat_auth_v2-{version[-1]}.xsd")).iter(
                f"{{{XSD_NS}}}pattern"
            )
        ]
        for version in NAMESPACES
    }
    for values in patterns.values():
        for value in values:
            rewritten = as_xml_schema_pattern(value)
            assert "\\b" not in rewritten
            assert not rewritten.startswith("^")
            assert not rewritten.endswith("$")
            if "\\b" not in value:
                assert rewritten == value.removeprefix("^").removesuffix("$")
    assert sum("\\b" in value for value in patterns["2.0"]) == 3


_ALPHABET = "0123456789ABCDEFPLRUXZabcf-./ \t\n٣５+*"
_values = st.text(alphabet=_ALPHABET, max_size=40)


#: Decimal digits old enough to be in libxml2's Unicode tables (see `test_unicode_digits_follow_current_unicode`).
_OLD_DIGITS = "[0-9\u0660-\u0669\u0966-\u096f\uff10-\uff19]"


def _matching(pattern: str) -> st.SearchStrategy[str]:
    return st.from_regex(re.compile(pattern.replace(r"\d", _OLD_DIGITS)), fullmatch=True)


_challenges = st.one_of(_matching(r"\d{8}-CR-[A-F0-9]{10}-[A-F0-9]{10}-[A-F0-9]{2}"), _values)
_nips = st.one_of(_matching(r"[1-9](\d[1-9]|[1-9]\d)\d{7}"), _values)
_vat_numbers = st.one_of(
    st.sampled_from(sorted(EU_VAT_NUMBER_FORMATS)).flatmap(
        lambda country: _matching(EU_VAT_NUMBER_FORMATS[country]).map(lambda number: country + number)
    ),
    _values,
)
_contexts = st.one_of(
    _nips.map(lambda value: f"<Nip>{escape(value)}</Nip>"),
    st.tuples(_nips, _values).map(lambda pair: f"<InternalId>{escape(pair[0] + '-' + pair[1])}</InternalId>"),
    st.tuples(_nips, _vat_numbers).map(lambda pair: f"<NipVatUe>{escape(pair[0] + '-' + pair[1])}</NipVatUe>"),
    st.one_of(_matching(r"P[A-Z]{2}[0-9]{6}"), _values).map(lambda value: f"<PeppolId>{escape(value)}</PeppolId>"),
)
_octets = st.one_of(st.integers(0, 300).map(str), st.sampled_from(["00", "01", "099", "٣", "５"]))
_addresses = st.one_of(
    st.lists(_octets, min_size=4, max_size=4).map(".".join),
    st.lists(_octets, min_size=3, max_size=5).map(".".join),
    _values,
)
_ip_entries = st.one_of(
    _addresses.map(lambda value: ("Ip4Address", value)),
    st.tuples(_addresses, _addresses).map(lambda pair: ("Ip4Range", f"{pair[0]}-{pair[1]}")),
    st.tuples(_addresses, st.one_of(st.integers(0, 40).map(str), _values)).map(
        lambda pair: ("Ip4Mask", f"{pair[0]}/{pair[1]}")
    ),
)
_KIND_ORDER = {"Ip4Address": 0, "Ip4Range": 1, "Ip4Mask": 2}
_policies = st.one_of(
    st.just(""),
    st.lists(_ip_entries, max_size=12).map(
        lambda entries: policy(*(f"<{kind}>{escape(value)}</{kind}>" for kind, value in entries))
    ),
    st.lists(_ip_entries, max_size=12).map(
        lambda entries: policy(
            *(
                f"<{kind}>{escape(value)}</{kind}>"
                for kind, value in sorted(entries, key=lambda entry: _KIND_ORDER[entry[0]])
            )
        )
    ),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    version=st.sampled_from(sorted(NAMESPACES)),
    challenge=_challenges,
    context=_contexts,
    subject=st.sampled_from(["certificateSubject", "certificateFingerprint", " certificateSubject ", "subject"]),
    policy_xml=_policies,
)
def test_random_values_are_judged_like_the_official_xsd(
    schemas: dict[str, etree.XMLSchema], version: str, challenge: str, context: str, subject: str, policy_xml: str
) -> None:
    document = request(
        version,
        challenge=escape(challenge),
        context=context,
        subject=f"<SubjectIdentifierType>{subject}</SubjectIdentifierType>",
        policy=policy_xml,
    )
    assert ours_accepts(document) is xsd_accepts(schemas[version], document)
