"""XAdES for KSeF logins: build, sign and verify the AuthTokenRequest document.

- `build_auth_token_request` → unsigned XML; `XadesSigner(key, certificate).sign(xml, now=...)` (or the one-off
  `sign_auth_token_request`) → signed XML in the official C# client's structure;
- `verify_auth_token_request(xml, now=...)` → `VerifiedLogin`, or `XadesError` with the KSeF code and reason.

Pure functions: bytes and `now` in, values out; no I/O, no clock.
"""

from ksef_mcu.crypto.errors import XADES_REJECTIONS, XadesError, XadesRejection
from ksef_mcu.crypto.xades._xml import MAX_DOCUMENT_BYTES, parse_document
from ksef_mcu.crypto.xades.algorithms import Canonicalization, DigestMethod, SignatureMethod
from ksef_mcu.crypto.xades.request import (
    AuthTokenNamespace,
    AuthTokenRequest,
    build_auth_token_request,
    read_auth_token_request,
    validate_auth_token_request,
)
from ksef_mcu.crypto.xades.signer import XadesSigner, sign_auth_token_request
from ksef_mcu.crypto.xades.verifier import MAX_CLOCK_SKEW, VerifiedLogin, verify_auth_token_request

# The identifier vocabulary lives in `ksef_mcu.identifiers`; it is re-exported here because an AuthTokenRequest is
# built from it (and existing callers import it from here).
from ksef_mcu.identifiers import AllowedIps, ContextIdentifier, ContextIdentifierType, SubjectIdentifierTypeXml

__all__ = [
    "MAX_CLOCK_SKEW",
    "MAX_DOCUMENT_BYTES",
    "XADES_REJECTIONS",
    "AllowedIps",
    "AuthTokenNamespace",
    "AuthTokenRequest",
    "Canonicalization",
    "ContextIdentifier",
    "ContextIdentifierType",
    "DigestMethod",
    "SignatureMethod",
    "SubjectIdentifierTypeXml",
    "VerifiedLogin",
    "XadesError",
    "XadesRejection",
    "XadesSigner",
    "build_auth_token_request",
    "parse_document",
    "read_auth_token_request",
    "sign_auth_token_request",
    "validate_auth_token_request",
    "verify_auth_token_request",
]
