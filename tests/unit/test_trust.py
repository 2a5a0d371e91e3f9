"""Certificate chain checks against the pluggable trust anchors (strict mode, verifyCertificateChain=true)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ksef_mcu.server.auth.model import CertificateProblem
from ksef_mcu.server.auth.trust import StaticTrustAnchors, TrustStore, certificate_time_problem
from support.pki import TestCa, ec_key, person_certificate

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


class Provider:
    """A module's anchors that change after registration (like a CA created at start-up)."""

    def __init__(self) -> None:
        self.certificates: list[x509.Certificate] = []

    def trust_anchors(self) -> Sequence[x509.Certificate]:
        return self.certificates


@pytest.fixture(scope="module")
def root() -> TestCa:
    return TestCa.root("Test Root CA", now=NOW)


def test_self_signed_is_untrusted(root: TestCa) -> None:
    store = TrustStore([StaticTrustAnchors([root.certificate])])
    leaf = person_certificate(ec_key(), now=NOW, serial_number="TINPL-5265877635")
    assert store.check_chain(leaf, now=NOW) is CertificateProblem.UNTRUSTED_CHAIN


def test_issued_by_a_root(root: TestCa) -> None:
    store = TrustStore([StaticTrustAnchors([root.certificate])])
    leaf = root.issue_person(ec_key(), now=NOW, serial_number="TINPL-5265877635")
    assert store.check_chain(leaf, now=NOW) is None
    assert TrustStore().check_chain(leaf, now=NOW) is CertificateProblem.UNTRUSTED_CHAIN


def test_through_an_intermediate(root: TestCa) -> None:
    intermediate = root.intermediate("Issuing CA", now=NOW)
    leaf = intermediate.issue_person(ec_key(), now=NOW, serial_number="PNOPL-88102341294")
    both = TrustStore([StaticTrustAnchors([root.certificate, intermediate.certificate])])
    assert both.check_chain(leaf, now=NOW) is None
    only_intermediate = TrustStore([StaticTrustAnchors([intermediate.certificate])])
    assert only_intermediate.check_chain(leaf, now=NOW) is None
    only_root = TrustStore([StaticTrustAnchors([root.certificate])])
    assert only_root.check_chain(leaf, now=NOW) is CertificateProblem.UNTRUSTED_CHAIN


def test_forged_issuer_name_breaks_the_chain(root: TestCa) -> None:
    impostor = TestCa.root("Test Root CA", now=NOW)  # same name, different key
    leaf = impostor.issue_person(ec_key(), now=NOW, serial_number="TINPL-5265877635")
    store = TrustStore([StaticTrustAnchors([root.certificate])])
    assert store.check_chain(leaf, now=NOW) is CertificateProblem.CHAIN_VERIFICATION_FAILED


def test_non_ca_issuer_breaks_the_chain(root: TestCa) -> None:
    not_a_ca = root.intermediate("Not a CA", now=NOW, ca=False)
    leaf = not_a_ca.issue_person(ec_key(), now=NOW, serial_number="TINPL-5265877635")
    store = TrustStore([StaticTrustAnchors([root.certificate, not_a_ca.certificate])])
    assert store.check_chain(leaf, now=NOW) is CertificateProblem.CHAIN_VERIFICATION_FAILED


def test_expired_anchor_breaks_the_chain(root: TestCa) -> None:
    leaf = root.issue_person(ec_key(), now=NOW, serial_number="TINPL-5265877635", lifetime=timedelta(days=7300))
    store = TrustStore([StaticTrustAnchors([root.certificate])])
    much_later = NOW + timedelta(days=4000)
    assert store.check_chain(leaf, now=much_later) is CertificateProblem.CHAIN_VERIFICATION_FAILED


def test_providers_are_asked_every_time(root: TestCa) -> None:
    provider = Provider()
    store = TrustStore()
    store.add_provider(provider)
    leaf = root.issue_person(ec_key(), now=NOW, serial_number="TINPL-5265877635")
    assert store.check_chain(leaf, now=NOW) is CertificateProblem.UNTRUSTED_CHAIN
    provider.certificates.append(root.certificate)
    assert store.check_chain(leaf, now=NOW) is None


def test_anchors_from_pem_files(root: TestCa, tmp_path: Path) -> None:
    intermediate = root.intermediate("Issuing CA", now=NOW)
    bundle = tmp_path / "anchors.pem"
    bundle.write_bytes(
        root.certificate.public_bytes(serialization.Encoding.PEM)
        + intermediate.certificate.public_bytes(serialization.Encoding.PEM)
    )
    anchors = StaticTrustAnchors.from_pem_files([bundle])
    assert list(anchors.trust_anchors()) == [root.certificate, intermediate.certificate]
    (tmp_path / "broken.pem").write_text("not a certificate")
    with pytest.raises(ValueError, match=r"broken\.pem"):
        StaticTrustAnchors.from_pem_files([tmp_path / "broken.pem"])


def test_validity_period() -> None:
    leaf = person_certificate(ec_key(), now=NOW, serial_number="TINPL-5265877635")
    assert certificate_time_problem(leaf, now=NOW) is None
    assert certificate_time_problem(leaf, now=NOW - timedelta(hours=2)) is CertificateProblem.INVALID
    assert certificate_time_problem(leaf, now=NOW + timedelta(days=731)) is CertificateProblem.INVALID


def test_long_polish_names_in_the_chain() -> None:
    """A CA named with more than 64 bytes of UTF-8 (Polish letters) — cryptography warns when it parses such a name,
    and warnings are errors here: the chain check reads names inside `tolerate_ksef_quirks`."""
    from ksef_mcu.crypto.compat import tolerate_ksef_quirks
    from support.pki import _build

    name = "Zakład Usług Źródłowych Żółć Gęś Spółka Jawna Łódź"
    assert len(name.encode()) > 64
    ca_key = ec_key()
    with tolerate_ksef_quirks():
        ca_name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, name, _validate=False)])
        ca = _build(ca_name, ca_key, now=NOW, ca=True, lifetime=timedelta(days=3650))
        issued = TestCa(ca, ca_key).issue_person(ec_key(), now=NOW, serial_number="TINPL-5265877635")
    der = serialization.Encoding.DER
    # Fresh objects: nothing parsed yet, as when they arrive in a login request.
    anchor = x509.load_der_x509_certificate(ca.public_bytes(der))
    leaf = x509.load_der_x509_certificate(issued.public_bytes(der))
    assert TrustStore([StaticTrustAnchors([anchor])]).check_chain(leaf, now=NOW) is None
