"""der.js and pem.js against pyasn1 and Python's base64: what the browser writes is the DER pyasn1 writes, and what
pyasn1 writes the browser reads back."""

from __future__ import annotations

import base64

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyasn1.codec.der import decoder, encoder
from pyasn1.type import char, univ

from ksef_mcu.crypto.keys import pem_encode
from support.browser import BrowserError, Harness, b64, unb64

SLOW = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

_ENCODE = """
  const { der, pem } = k;
  const bytes = (text) => pem.fromBase64(text);
  const out = {
    integers: arg.integers.map((value) => pem.toBase64(der.unsignedInteger(BigInt(value)))),
    magnitudes: arg.magnitudes.map((value) => pem.toBase64(der.unsignedInteger(bytes(value)))),
    oids: arg.oids.map((oid) => pem.toBase64(der.objectIdentifier(oid))),
    oidsRead: arg.oids.map((oid) => der.readObjectIdentifier(der.readWhole(der.objectIdentifier(oid)))),
    utf8: arg.texts.map((text) => pem.toBase64(der.utf8String(text))),
    sequence: pem.toBase64(der.sequence(...arg.blobs.map((blob) => der.octetString(bytes(blob))))),
    set: pem.toBase64(der.setOf(...arg.blobs.map((blob) => der.octetString(bytes(blob))))),
  };
  out.children = der.childrenOf(der.readWhole(bytes(out.sequence))).map((child) => pem.toBase64(child.content));
  out.small = arg.integers.filter((value) => BigInt(value) <= BigInt(Number.MAX_SAFE_INTEGER))
    .map((value) => der.readSmallInteger(der.readWhole(der.unsignedInteger(BigInt(value)))));
  return out;
"""

arcs = st.lists(st.integers(min_value=0, max_value=2**70), min_size=0, max_size=6)
oids = st.one_of(
    st.tuples(st.integers(0, 1), st.integers(0, 39), arcs),
    st.tuples(st.just(2), st.integers(0, 2**40), arcs),
).map(lambda parts: ".".join(str(arc) for arc in (parts[0], parts[1], *parts[2])))


@SLOW
@given(
    integers=st.lists(st.integers(min_value=0, max_value=2**300), min_size=1, max_size=10),
    magnitudes=st.lists(st.binary(min_size=0, max_size=70), min_size=1, max_size=5),
    oids=st.lists(oids, min_size=1, max_size=8),
    texts=st.lists(st.text(st.characters(blacklist_categories=("Cs",)), max_size=300), min_size=1, max_size=4),
    blobs=st.lists(st.binary(max_size=300), max_size=6)
    | st.lists(st.binary(min_size=70_000, max_size=70_000), max_size=1),
)
def test_writer_matches_pyasn1_and_reader_reads_it(
    harness: Harness,
    integers: list[int],
    magnitudes: list[bytes],
    oids: list[str],
    texts: list[str],
    blobs: list[bytes],
) -> None:
    out = harness.run(
        _ENCODE,
        {
            "integers": [str(value) for value in integers],
            "magnitudes": [b64(value) for value in magnitudes],
            "oids": oids,
            "texts": texts,
            "blobs": [b64(blob) for blob in blobs],
        },
    )
    assert [unb64(value) for value in out["integers"]] == [encoder.encode(univ.Integer(value)) for value in integers]
    assert [unb64(value) for value in out["magnitudes"]] == [
        encoder.encode(univ.Integer(int.from_bytes(value, "big"))) for value in magnitudes
    ]
    assert [unb64(value) for value in out["oids"]] == [encoder.encode(univ.ObjectIdentifier(oid)) for oid in oids]
    assert out["oidsRead"] == oids
    assert [unb64(value) for value in out["utf8"]] == [encoder.encode(char.UTF8String(text)) for text in texts]

    sequence = univ.SequenceOf(componentType=univ.OctetString())
    sequence.extend([univ.OctetString(blob) for blob in blobs])
    assert unb64(out["sequence"]) == encoder.encode(sequence)
    set_of = univ.SetOf(componentType=univ.OctetString())
    set_of.extend([univ.OctetString(blob) for blob in blobs])
    assert unb64(out["set"]) == encoder.encode(set_of)  # DER sorts SET OF elements; so must we
    assert [unb64(child) for child in out["children"]] == [
        bytes(decoder.decode(encoder.encode(univ.OctetString(blob)))[0]) for blob in blobs
    ]
    assert out["small"] == [value for value in integers if value <= 2**53 - 1]


@SLOW
@given(data=st.binary(max_size=2000), label=st.sampled_from(["ENCRYPTED PRIVATE KEY", "CERTIFICATE", "PRIVATE KEY"]))
def test_pem_and_base64_match_python(harness: Harness, data: bytes, label: str) -> None:
    out = harness.run(
        """const bytes = k.pem.fromBase64(arg.data);
           const pem = k.pem.pemEncode(arg.label, bytes);
           const blocks = k.pem.pemBlocks('junk before\\n' + pem + 'junk after');
           return { base64: k.pem.toBase64(bytes), pem, label: blocks[0].label, der: k.pem.toBase64(blocks[0].der),
                    hex: k.pem.toHex(bytes) };""",
        {"data": b64(data), "label": label},
    )
    assert out["base64"] == base64.b64encode(data).decode()
    assert out["pem"].encode() == pem_encode(label, data)
    assert (out["label"], unb64(out["der"])) == (label, data)
    assert out["hex"] == data.hex().upper()


@pytest.mark.parametrize(
    "der_hex",
    [
        "",  # nothing
        "30",  # no length
        "3080" + "0000",  # indefinite length (BER, not DER)
        "3081050400040000",  # long form for a length below 128
        "30820005" + "0400040000",  # a leading zero length byte
        "300404000400" + "00",  # trailing data
        "3005040004",  # runs past the end
        "1f2200",  # a high tag number
    ],
)
def test_reader_refuses_what_is_not_der(harness: Harness, der_hex: str) -> None:
    with pytest.raises(BrowserError) as caught:
        harness.run(
            "const element = k.der.readWhole(k.pem.fromBase64(arg)); k.der.childrenOf(element); return true;",
            b64(bytes.fromhex(der_hex)),
        )
    assert caught.value.name == "FormatError"


@pytest.mark.parametrize(
    ("content_hex", "why"),
    [("ff", "negative"), ("0001", "non-minimal"), ("", "empty"), ("20000000000000", "above 2^53 - 1")],
)
def test_small_integers_refuse_values_key_files_never_hold(harness: Harness, content_hex: str, why: str) -> None:
    element = bytes([0x02, len(content_hex) // 2]) + bytes.fromhex(content_hex)
    with pytest.raises(BrowserError) as caught:
        harness.run("return k.der.readSmallInteger(k.der.readWhole(k.pem.fromBase64(arg)))", b64(element))
    assert caught.value.name == "FormatError", why


def test_base64_is_strict_about_the_alphabet_and_padding_but_not_line_breaks(harness: Harness) -> None:
    for text in ("QU JD", "QUJD\n", "QUJE\r\nRg=="):
        assert unb64(harness.run("return k.pem.toBase64(k.pem.fromBase64(arg))", text)) == base64.b64decode(text)
    for text in ("QUJD=", "QUJ", "QU_D", "QUJDRg="):
        with pytest.raises(BrowserError) as caught:
            harness.run("return k.pem.fromBase64(arg)", text)
        assert caught.value.name == "FormatError", text


def test_printable_string_refuses_other_characters(harness: Harness) -> None:
    assert unb64(harness.run("return k.pem.toBase64(k.der.printableString(arg))", "PL-1 (a)")) == encoder.encode(
        char.PrintableString("PL-1 (a)")
    )
    with pytest.raises(BrowserError):
        harness.run("return k.der.printableString(arg)", "Ł")
