"""The attack and tamper corpus: every document is refused with its own reason, never with another exception."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from lxml import etree

from ksef_mcu.crypto.errors import XADES_REJECTIONS, XadesError, XadesRejection
from ksef_mcu.crypto.xades import MAX_DOCUMENT_BYTES, verify_auth_token_request
from ksef_mcu.crypto.xades.algorithms import DSIG_NS, XADES_NS, SignatureMethod

from .pki import CHALLENGE, NOW, PrivateKey, ec_key, make_certificate, person_name, plain_name, rsa_key, seal_name
from .styles import CSHARP, ENVELOPING, JAVA_DSS, SIGNXML, Style, resign, sign_in_style, unsigned_request

DS = f"{{{DSIG_NS}}}"
XA = f"{{{XADES_NS}}}"


def signed(
    style: Style = CSHARP,
    *,
    key: PrivateKey | None = None,
    certificate: object = None,
    layout: str = "compact",
    now: dt.datetime = NOW,
    **request: object,
) -> bytes:
    key = key or ec_key()
    cert = certificate or make_certificate(key)
    return sign_in_style(unsigned_request(layout=layout, **request), key, cert, style, now)  # type: ignore[arg-type]


def edit(document: bytes, change: Callable[[etree._Element], None], *, resign_key: PrivateKey | None = None) -> bytes:
    """Apply `change` to the parsed document; with `resign_key`, sign the (changed) SignedInfo again."""
    root = etree.fromstring(document)
    change(root)
    result = etree.tostring(root.getroottree(), encoding="utf-8", xml_declaration=True)
    return resign(result, resign_key, CSHARP) if resign_key is not None else result


def signature_of(root: etree._Element) -> etree._Element:
    return next(root.iter(DS + "Signature"))


def references(root: etree._Element) -> list[etree._Element]:
    return signature_of(root).findall(f"{DS}SignedInfo/{DS}Reference")


def _set_text(path: str, text: str) -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        element = root.find(path)
        assert element is not None, path
        element.text = text

    return change


def _doctype(body: str) -> bytes:
    return (f'<?xml version="1.0"?>\n<!DOCTYPE AuthTokenRequest [\n{body}\n]>\n').encode() + unsigned_request()


BILLION_LAUGHS = "\n".join(
    ['<!ENTITY lol "lol">']
    + [f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">' for i in range(1, 10)]
)


def _nest_signature_in_context(root: etree._Element) -> None:
    signature = signature_of(root)
    root.remove(signature)
    context = root.find("{*}ContextIdentifier")
    assert context is not None
    context.append(signature)


def _duplicate_signature(root: etree._Element) -> None:
    from copy import deepcopy

    root.append(deepcopy(signature_of(root)))


def _wrap_enveloping_in_forged_request(document: bytes) -> bytes:
    """XSW: a forged request (other NIP) that carries the genuine enveloping signature as its child."""
    genuine = etree.fromstring(document)
    forged = etree.fromstring(unsigned_request(context=("Nip", "1111111111")))
    forged.append(genuine)
    return etree.tostring(forged)


def _add_reference(uri: str) -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        signed_info = signature_of(root).find(DS + "SignedInfo")
        assert signed_info is not None
        reference = etree.SubElement(signed_info, DS + "Reference", URI=uri)
        etree.SubElement(reference, DS + "DigestMethod", Algorithm="http://www.w3.org/2001/04/xmlenc#sha256")
        etree.SubElement(reference, DS + "DigestValue").text = base64.b64encode(b"\0" * 32).decode()

    return change


def _drop_reference(index: int) -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        reference = references(root)[index]
        parent = reference.getparent()
        assert parent is not None
        parent.remove(reference)

    return change


def _drop_qualifying_properties(root: etree._Element) -> None:
    signature = signature_of(root)
    _drop_reference(1)(root)
    obj = signature.find(DS + "Object")
    assert obj is not None
    signature.remove(obj)


def _set_algorithm(path: str, algorithm: str) -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        element = signature_of(root).find(path)
        assert element is not None, path
        element.set("Algorithm", algorithm)

    return change


def _replace_document_transforms(*algorithms: str) -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        transforms = references(root)[0].find(DS + "Transforms")
        assert transforms is not None
        for transform in list(transforms):
            transforms.remove(transform)
        for algorithm in algorithms:
            etree.SubElement(transforms, DS + "Transform", Algorithm=algorithm)

    return change


def _filter2_expression(expression: str, document: bytes) -> bytes:
    return document.replace(b">/descendant::ds:Signature<", f">{expression}<".encode())


def _flip_signature_value(root: etree._Element) -> None:
    value = signature_of(root).find(DS + "SignatureValue")
    assert value is not None
    assert value.text
    raw = bytearray(base64.b64decode(value.text))
    raw[len(raw) // 2] ^= 0x01
    value.text = base64.b64encode(bytes(raw)).decode()


def _replace_certificate(certificate_der: bytes) -> Callable[[etree._Element], None]:
    return _set_text(f".//{DS}X509Certificate", base64.b64encode(certificate_der).decode())


def _remove_key_info(root: etree._Element) -> None:
    signature = signature_of(root)
    key_info = signature.find(DS + "KeyInfo")
    assert key_info is not None
    signature.remove(key_info)


def _duplicate_id(root: etree._Element) -> None:
    obj = signature_of(root).find(DS + "Object")
    assert obj is not None
    etree.SubElement(obj, "Decoy", Id="SignedProperties")


def _xml_attribute_on_signature(root: etree._Element) -> None:
    signature_of(root).set("{http://www.w3.org/XML/1998/namespace}lang", "pl")


def _retarget_qualifying_properties(root: etree._Element) -> None:
    qualifying = signature_of(root).find(f"{DS}Object/{XA}QualifyingProperties")
    assert qualifying is not None
    qualifying.set("Target", "#Other")


def _pretty_print(document: bytes) -> bytes:
    root = etree.fromstring(document, etree.XMLParser(remove_blank_text=True))
    return etree.tostring(root, pretty_print=True)


def _detached_signature_document() -> bytes:
    """A lone ds:Signature over an external file (what `xmlsec1 --sign` makes for detached data)."""
    document = etree.fromstring(signed())
    signature = signature_of(document)
    references(document)[0].set("URI", "request.xml")
    return etree.tostring(signature)


R = XadesRejection


def _unknown_string_type(der: bytes) -> bytes:
    """The certificate with its commonName tagged 0x28 instead of UTF8String (cryptography 48 raises KeyError)."""
    common_name = b"\x06\x03\x55\x04\x03\x0c"
    assert common_name in der
    return der.replace(common_name, common_name[:-1] + b"\x28")


def _drop_all_references(root: etree._Element) -> None:
    for reference in references(root):
        parent = reference.getparent()
        assert parent is not None
        parent.remove(reference)


def _cases() -> list[tuple[str, Callable[[], bytes], XadesRejection]]:
    ec = ec_key()
    cert = make_certificate(ec)
    other = ec_key(index=1)
    other_cert = make_certificate(other, person_name(nip="1111111111"), serial_number=99)
    rsa_1024 = rsa_key(1024)
    p224 = ec_key("secp224r1")
    csharp = lambda **kw: signed(CSHARP, key=ec, certificate=cert, **kw)  # noqa: E731
    return [
        # parsing
        ("xxe external entity", lambda: _doctype('<!ENTITY xxe SYSTEM "file:///etc/passwd">'), R.DTD_FORBIDDEN),
        ("billion laughs", lambda: _doctype(BILLION_LAUGHS), R.DTD_FORBIDDEN),
        (
            "doctype after a comment",
            lambda: b"<!-- hi --><!DOCTYPE AuthTokenRequest SYSTEM 'http://attacker/x.dtd'>" + csharp(),
            R.DTD_FORBIDDEN,
        ),
        (
            "attribute defaults from a DTD",
            lambda: _doctype("<!ATTLIST AuthTokenRequest Id ID #IMPLIED>"),
            R.DTD_FORBIDDEN,
        ),
        ("undefined entity", lambda: csharp().replace(CHALLENGE.encode(), b"&xxe;"), R.MALFORMED_XML),
        ("truncated", lambda: csharp()[:-40], R.MALFORMED_XML),
        ("empty", lambda: b"", R.MALFORMED_XML),
        (
            "relative namespace uri",
            lambda: csharp().replace(b'xmlns="http://ksef.mf.gov.pl/auth/token/2.0"', b'xmlns="ksef/auth/token/2.0"'),
            R.MALFORMED_XML,
        ),
        ("utf-16", lambda: csharp().decode().encode("utf-16"), R.INVALID_ENCODING),
        ("declared iso-8859-2", lambda: b'<?xml version="1.0" encoding="ISO-8859-2"?>' + csharp(), R.INVALID_ENCODING),
        ("invalid utf-8 byte", lambda: csharp().replace(b"</Challenge>", b"\xff</Challenge>"), R.INVALID_ENCODING),
        (
            "oversized",
            lambda: csharp().replace(b"<Challenge>", b"<!--" + b"x" * MAX_DOCUMENT_BYTES + b"--><Challenge>"),
            R.DOCUMENT_TOO_LARGE,
        ),
        # where the signature is and what it covers
        ("unsigned", unsigned_request, R.NO_SIGNATURE),
        ("two signatures", lambda: edit(csharp(), _duplicate_signature), R.TOO_MANY_SIGNATURES),
        (
            "signature moved into ContextIdentifier",
            lambda: edit(csharp(), _nest_signature_in_context),
            R.SIGNATURE_MISPLACED,
        ),
        ("wrapper root", lambda: b"<Wrapper>" + csharp() + b"</Wrapper>", R.SCHEMA_INVALID),
        ("detached signature document", _detached_signature_document, R.DETACHED_SIGNATURE),
        (
            "external reference",
            lambda: edit(
                csharp(), lambda root: references(root)[0].set("URI", "http://attacker/request.xml"), resign_key=ec
            ),
            R.DETACHED_SIGNATURE,
        ),
        (
            "enveloping signature wrapped in a forged request",
            lambda: _wrap_enveloping_in_forged_request(signed(ENVELOPING, key=ec, certificate=cert)),
            R.UNEXPECTED_REFERENCE,
        ),
        (
            "enveloping with URI=''",
            lambda: edit(signed(ENVELOPING, key=ec, certificate=cert), lambda root: references(root)[0].set("URI", "")),
            R.UNEXPECTED_REFERENCE,
        ),
        (
            "reference to SignatureValue",
            lambda: edit(
                signed(JAVA_DSS, key=ec, certificate=cert),
                _add_reference("#value-id-0f1e2d3c4b5a69788796a5b4c3d2e1f0"),
                resign_key=ec,
            ),
            R.UNEXPECTED_REFERENCE,
        ),
        (
            "second document reference",
            lambda: edit(csharp(), _add_reference(""), resign_key=ec),
            R.UNEXPECTED_REFERENCE,
        ),
        (
            "reference to a missing id",
            lambda: edit(csharp(), _add_reference("#nowhere"), resign_key=ec),
            R.REFERENCE_TARGET_NOT_FOUND,
        ),
        (
            "reference without URI",
            lambda: edit(csharp(), lambda root: references(root)[0].attrib.pop("URI"), resign_key=ec),
            R.REFERENCE_TARGET_NOT_FOUND,
        ),
        (
            "xpointer reference",
            lambda: edit(csharp(), _add_reference("#xpointer(/)"), resign_key=ec),
            R.UNEXPECTED_REFERENCE,
        ),
        ("duplicate SignedProperties id", lambda: edit(csharp(), _duplicate_id), R.DUPLICATE_ID),
        ("document not referenced", lambda: edit(csharp(), _drop_reference(0), resign_key=ec), R.DOCUMENT_NOT_SIGNED),
        # changed content
        ("challenge changed", lambda: csharp().replace(b"-C5<", b"-C6<"), R.DIGEST_MISMATCH),
        ("nip changed", lambda: csharp().replace(b">5265877635<", b">1111111111<"), R.DIGEST_MISMATCH),
        (
            "subject type changed",
            lambda: csharp().replace(b"certificateSubject", b"certificateFingerprint"),
            R.DIGEST_MISMATCH,
        ),
        (
            "context duplicated",
            lambda: csharp().replace(
                b"</ContextIdentifier>",
                b"</ContextIdentifier><ContextIdentifier><Nip>1111111111</Nip></ContextIdentifier>",
            ),
            R.DIGEST_MISMATCH,
        ),
        (
            "allowed ips added",
            lambda: csharp().replace(
                b"</SubjectIdentifierType>",
                b"</SubjectIdentifierType><AuthorizationPolicy><AllowedIps/></AuthorizationPolicy>",
            ),
            R.DIGEST_MISMATCH,
        ),
        (
            "signing time changed",
            lambda: edit(csharp(), _set_text(f".//{XA}SigningTime", "2026-05-20T09:00:00Z")),
            R.DIGEST_MISMATCH,
        ),
        ("signature value flipped", lambda: edit(csharp(), _flip_signature_value), R.SIGNATURE_MISMATCH),
        ("signed by another key", lambda: signed(CSHARP, key=other, certificate=cert), R.SIGNATURE_MISMATCH),
        ("pretty-printed after signing", lambda: _pretty_print(csharp()), R.SIGNATURE_MISMATCH),
        (
            "signature value is DER",
            lambda: signed(CSHARP.but(ecdsa_der=True), key=ec, certificate=cert),
            R.SIGNATURE_VALUE_MALFORMED,
        ),
        (
            "signature value not base64",
            lambda: edit(csharp(), _set_text(f".//{DS}SignatureValue", "not*base64")),
            R.SIGNATURE_VALUE_MALFORMED,
        ),
        # certificate and key
        (
            "certificate swapped in KeyInfo",
            lambda: edit(csharp(), _replace_certificate(other_cert.public_bytes(Encoding.DER))),
            R.SIGNING_CERTIFICATE_MISMATCH,
        ),
        (
            "SigningCertificate names another certificate",
            lambda: sign_in_style(unsigned_request(), ec, cert, CSHARP, NOW, signing_certificate=other_cert),
            R.SIGNING_CERTIFICATE_MISMATCH,
        ),
        (
            "IssuerSerial with another serial",
            lambda: sign_in_style(
                unsigned_request(), ec, cert, CSHARP, NOW, signing_certificate=make_certificate(ec, serial_number=7)
            ),
            R.SIGNING_CERTIFICATE_MISMATCH,
        ),
        (
            "KeyValue of another key",
            lambda: sign_in_style(unsigned_request(), ec, cert, SIGNXML, NOW, key_value_certificate=other_cert),
            R.KEY_VALUE_MISMATCH,
        ),
        ("no KeyInfo", lambda: edit(csharp(), _remove_key_info), R.CERTIFICATE_MISSING),
        (
            "certificate garbage",
            lambda: edit(csharp(), _replace_certificate(b"\x30\x03\x02\x01\x01")),
            R.CERTIFICATE_UNREADABLE,
        ),
        (
            "certificate name with an unknown string type",
            lambda: edit(csharp(), _replace_certificate(_unknown_string_type(cert.public_bytes(Encoding.DER)))),
            R.CERTIFICATE_UNREADABLE,
        ),
        ("rsa 1024", lambda: signed(CSHARP, key=rsa_1024), R.KEY_TOO_WEAK),
        ("ec p-224", lambda: signed(CSHARP, key=p224), R.KEY_TOO_WEAK),
        (
            "ecdsa method with an rsa key",
            lambda: edit(
                signed(CSHARP, key=rsa_key()),
                _set_algorithm(f"{DS}SignedInfo/{DS}SignatureMethod", SignatureMethod.ECDSA_SHA256.value),
            ),
            R.KEY_ALGORITHM_MISMATCH,
        ),
        # algorithms and transforms
        (
            "rsa-md5 signature method",
            lambda: edit(
                csharp(),
                _set_algorithm(f"{DS}SignedInfo/{DS}SignatureMethod", "http://www.w3.org/2001/04/xmldsig-more#rsa-md5"),
            ),
            R.UNSUPPORTED_ALGORITHM,
        ),
        (
            "hmac signature method",
            lambda: edit(
                csharp(),
                _set_algorithm(f"{DS}SignedInfo/{DS}SignatureMethod", "http://www.w3.org/2000/09/xmldsig#hmac-sha1"),
            ),
            R.UNSUPPORTED_ALGORITHM,
        ),
        (
            "md5 digest",
            lambda: edit(
                csharp(),
                _set_algorithm(
                    f"{DS}SignedInfo/{DS}Reference/{DS}DigestMethod", "http://www.w3.org/2001/04/xmldsig-more#md5"
                ),
            ),
            R.UNSUPPORTED_ALGORITHM,
        ),
        (
            "unknown canonicalization",
            lambda: edit(
                csharp(),
                _set_algorithm(f"{DS}SignedInfo/{DS}CanonicalizationMethod", "http://www.w3.org/2010/xml-c14n2"),
            ),
            R.UNSUPPORTED_ALGORITHM,
        ),
        (
            "xslt transform",
            lambda: edit(
                csharp(), _replace_document_transforms("http://www.w3.org/TR/1999/REC-xslt-19991116"), resign_key=ec
            ),
            R.UNSUPPORTED_TRANSFORM,
        ),
        (
            "no enveloped transform",
            lambda: edit(
                csharp(), _replace_document_transforms("http://www.w3.org/2001/10/xml-exc-c14n#"), resign_key=ec
            ),
            R.UNSUPPORTED_TRANSFORM,
        ),
        (
            "base64 transform",
            lambda: edit(
                csharp(),
                _replace_document_transforms(
                    "http://www.w3.org/2000/09/xmldsig#enveloped-signature", "http://www.w3.org/2000/09/xmldsig#base64"
                ),
                resign_key=ec,
            ),
            R.UNSUPPORTED_TRANSFORM,
        ),
        (
            "xpath filter selecting the content",
            lambda: resign(
                _filter2_expression("/descendant::ds:Challenge", signed(JAVA_DSS, key=ec, certificate=cert)),
                ec,
                JAVA_DSS,
            ),
            R.UNSUPPORTED_TRANSFORM,
        ),
        (
            "xpath filter with an extra union",
            lambda: resign(
                _filter2_expression("/descendant::ds:Signature | //*", signed(JAVA_DSS, key=ec, certificate=cert)),
                ec,
                JAVA_DSS,
            ),
            R.UNSUPPORTED_TRANSFORM,
        ),
        # XAdES properties
        (
            "no QualifyingProperties",
            lambda: edit(csharp(), _drop_qualifying_properties, resign_key=ec),
            R.SIGNED_PROPERTIES_MISSING,
        ),
        (
            "SignedProperties not referenced",
            lambda: edit(csharp(), _drop_reference(1), resign_key=ec),
            R.SIGNED_PROPERTIES_MISSING,
        ),
        (
            "QualifyingProperties target elsewhere",
            lambda: edit(csharp(), _retarget_qualifying_properties),
            R.QUALIFYING_PROPERTIES_INVALID,
        ),
        (
            "both SigningCertificate versions",
            lambda: signed(CSHARP.but(signing_certificate="both"), key=ec, certificate=cert),
            R.QUALIFYING_PROPERTIES_INVALID,
        ),
        (
            "no SigningTime",
            lambda: signed(CSHARP.but(time_format="none"), key=ec, certificate=cert),
            R.SIGNING_TIME_MISSING,
        ),
        (
            "SigningTime garbage",
            lambda: signed(CSHARP.but(time_format="yesterday"), key=ec, certificate=cert),
            R.SIGNING_TIME_INVALID,
        ),
        (
            "SigningTime 13th month",
            lambda: signed(CSHARP.but(time_format="2026-13-01T00:00:00Z"), key=ec, certificate=cert),
            R.SIGNING_TIME_INVALID,
        ),
        (
            "SigningTime in the future",
            lambda: signed(CSHARP, key=ec, certificate=cert, now=NOW + dt.timedelta(minutes=10)),
            R.SIGNING_TIME_IN_FUTURE,
        ),
        (
            "no SigningCertificate",
            lambda: signed(CSHARP.but(signing_certificate="none"), key=ec, certificate=cert),
            R.SIGNING_CERTIFICATE_MISSING,
        ),
        ("xml:lang on the signature", lambda: edit(csharp(), _xml_attribute_on_signature), R.SIGNATURE_MALFORMED),
        (
            "SignedInfo without references",
            lambda: edit(csharp(), _drop_all_references),
            R.SIGNATURE_MALFORMED,
        ),
        # what was signed, judged once the signature is verified
        (
            "signed but schema-invalid",
            lambda: signed(CSHARP, key=ec, certificate=cert, context=("Nip", "0265877635")),
            R.SCHEMA_INVALID,
        ),
        (
            "signed with an unknown namespace",
            lambda: signed(CSHARP, key=ec, certificate=cert).replace(b"token/2.0", b"token/2.9"),
            R.DIGEST_MISMATCH,
        ),
        (
            "expired certificate",
            lambda: signed(CSHARP, key=ec, certificate=make_certificate(ec, not_after=NOW - dt.timedelta(seconds=1))),
            R.CERTIFICATE_EXPIRED,
        ),
        (
            "certificate not yet valid",
            lambda: signed(CSHARP, key=ec, certificate=make_certificate(ec, not_before=NOW + dt.timedelta(hours=1))),
            R.CERTIFICATE_NOT_YET_VALID,
        ),
        (
            "subject without identifier",
            lambda: signed(CSHARP, key=ec, certificate=make_certificate(ec, plain_name())),
            R.CERTIFICATE_WITHOUT_IDENTIFIER,
        ),
        (
            "two identities in one certificate",
            lambda: signed(
                CSHARP,
                key=ec,
                certificate=make_certificate(
                    ec,
                    x509.Name(
                        [
                            *seal_name(),
                            x509.NameAttribute(NameOID.SERIAL_NUMBER, "TINPL-0265877635"),
                        ]
                    ),
                ),
            ),
            R.AMBIGUOUS_IDENTITY,
        ),
        (
            "seal with given name",
            lambda: signed(CSHARP, key=ec, certificate=make_certificate(ec, seal_name(with_person_attributes=True))),
            R.SEAL_WITH_PERSON_ATTRIBUTES,
        ),
    ]


CASES = _cases()


def test_corpus_is_large_and_covers_every_reason() -> None:
    assert len(CASES) >= 25
    assert {reason for _, _, reason in CASES} == set(XadesRejection)


@pytest.mark.parametrize(("name", "make", "reason"), CASES, ids=[name for name, _, _ in CASES])
def test_attack_is_refused_with_its_reason(name: str, make: Callable[[], bytes], reason: XadesRejection) -> None:
    document = make()
    with pytest.raises(XadesError) as caught:
        verify_auth_token_request(document, now=NOW)
    error = caught.value
    assert error.reason is reason, f"{name}: {error.reason} {error.details}"
    assert error.code == XADES_REJECTIONS[reason].code
    assert error.description == XADES_REJECTIONS[reason].description
    assert error.details
    assert error.details[0]
    # Only a sound signature by a certificate outside its validity carries the verified login (KSeF: status 460).
    if XADES_REJECTIONS[reason].auth_status is not None:
        assert error.login is not None
        assert error.login.certificate.not_valid_after_utc < NOW or error.login.certificate.not_valid_before_utc > NOW
    else:
        assert error.login is None
