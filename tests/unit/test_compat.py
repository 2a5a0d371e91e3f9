"""`tolerate_ksef_quirks`: silences exactly KSeF's two certificate quirks, also with many threads at once, and
importing the library changes no process-wide warning filter."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
import warnings

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from ksef_mcu.crypto.compat import tolerate_ksef_quirks

# What KSeF issues for a long Polish company name: more than 64 UTF-8 bytes, so cryptography warns when parsing it.
LONG_COMMON_NAME = "PRZEDSIĘBIORSTWO ŻÓŁTE ŹRÓDŁA SPÓŁKA JAWNA (uwierzytelnienie)"


def _long_name_certificate_der() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    with tolerate_ksef_quirks():
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, LONG_COMMON_NAME, _validate=False)])
    now = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(Encoding.DER)


DER = _long_name_certificate_der()


def _read_common_name(der: bytes) -> str:
    value = x509.load_der_x509_certificate(der).subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    return str(value)


def test_the_long_name_warning_is_real_outside_the_block() -> None:
    with pytest.raises(UserWarning, match="Attribute's length must be"):
        _read_common_name(DER)  # pytest runs with warnings as errors
    with tolerate_ksef_quirks():
        assert _read_common_name(DER) == LONG_COMMON_NAME


def test_a_thread_leaving_its_block_does_not_unsilence_another_one_still_inside() -> None:
    """`warnings.catch_warnings` saves and restores the one process-wide filter list. If B could enter its block
    while A is inside, A leaving would restore the filters B relies on, and B's parsing would warn (an error under
    pytest). The blocks are serialised, so B enters only after A has left: A's wait for B then times out."""
    before = list(warnings.filters)
    a_inside, b_inside, a_left = threading.Event(), threading.Event(), threading.Event()
    failures: list[BaseException] = []
    overlapped: list[bool] = []

    def a() -> None:
        with tolerate_ksef_quirks():
            a_inside.set()
            overlapped.append(b_inside.wait(timeout=0.5))
        a_left.set()

    def b() -> None:
        a_inside.wait()
        try:
            with tolerate_ksef_quirks():
                b_inside.set()
                a_left.wait(timeout=5)
                assert _read_common_name(DER) == LONG_COMMON_NAME
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert overlapped == [False]
    assert warnings.filters == before


def test_many_threads_parsing_at_once() -> None:
    before = list(warnings.filters)
    failures: list[BaseException] = []
    start = threading.Barrier(8)

    def parse() -> None:
        start.wait()
        try:
            for _ in range(20):
                with tolerate_ksef_quirks():
                    assert _read_common_name(DER) == LONG_COMMON_NAME
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=parse) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert warnings.filters == before


def test_importing_the_library_changes_no_warning_filter() -> None:
    script = (
        "import warnings\n"
        "before = list(warnings.filters)\n"
        "import ksef_mcu.crypto, ksef_mcu.crypto.xades, ksef_mcu.client\n"
        "assert warnings.filters == before, [f for f in warnings.filters if f not in before]\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
