"""XAdES signing in two steps, for a private key that lives elsewhere (the user's browser).

1. `prepare_signature(xml, certificate, now=...)` → `PreparedSignature`: its `signed_info` is the canonical SignedInfo,
   the exact bytes to sign with `signature_method` (rsa-sha256: RSASSA-PKCS1-v1_5 SHA-256; ecdsa-sha256 for a
   P-256 key: SHA-256 and the raw r||s value that WebCrypto returns).
2. Whoever holds the key signs those bytes and returns the SignatureValue.
3. `complete_signature(prepared, signature_value)` checks the value against the certificate's public key and returns
   the signed AuthTokenRequest — byte for byte what `XadesSigner` would have produced with the same key, request and
   `now` (the official C# client's structure), so `verify_auth_token_request` treats both alike.

`prepare_signature` is deterministic in its arguments: a server that does not want to keep the prepared object
between two HTTP requests can prepare it again from the same request, certificate and `now`. Pure: no I/O, no clock.
"""

from __future__ import annotations

from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ksef_mcu.crypto.errors import CertificateError, XadesError, XadesRejection
from ksef_mcu.crypto.xades.signer import PreparedSignature, SignatureTemplate
from ksef_mcu.crypto.xades.verifier import _verify_signature_value  # the verifier's own SignatureValue check

__all__ = ["PreparedSignature", "complete_signature", "prepare_signature"]


def prepare_signature(xml: bytes, certificate: x509.Certificate, *, now: datetime) -> PreparedSignature:
    """Prepare the signature of `xml` (an unsigned AuthTokenRequest, UTF-8) by `certificate`'s key at `now`.

    `now` is timezone-aware; SigningTime is written a minute earlier. Raises `CertificateError` when the certificate's
    key cannot sign XAdES for KSeF (RSA under 2048 bits, other curves or algorithms) and `XadesError` when `xml` is not
    an unsigned, schema-valid AuthTokenRequest.
    """
    return SignatureTemplate(certificate).prepare(xml, now=now)


def complete_signature(prepared: PreparedSignature, signature_value: bytes) -> bytes:
    """The signed AuthTokenRequest: `prepared` with `signature_value` (over `prepared.signed_info`) in place.

    ECDSA values must be r||s of exactly twice the curve size (64 bytes for P-256). Raises `XadesError` with
    SIGNATURE_VALUE_MALFORMED (wrong length or DER-encoded ECDSA) or SIGNATURE_MISMATCH (not made by the
    certificate's key over these bytes).
    """
    template = prepared.template
    public_key = template.certificate.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):  # pragma: no cover - see template
        raise CertificateError("Do podpisu XAdES potrzebny jest klucz RSA lub EC.")
    if template.curve_bytes and len(signature_value) != 2 * template.curve_bytes:
        raise XadesError(
            XadesRejection.SIGNATURE_VALUE_MALFORMED,
            f"Wartość podpisu ECDSA musi mieć postać R||S o długości {2 * template.curve_bytes} bajtów "
            f"(ma {len(signature_value)}).",
        )
    _verify_signature_value(signature_value, prepared.signed_info, prepared.signature_method, public_key)
    return template.assemble(prepared, signature_value)
