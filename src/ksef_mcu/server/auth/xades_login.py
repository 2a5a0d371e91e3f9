"""The bridge from `ksef_mcu.crypto.xades` (pure verification) to the login flow.

`verify_auth_token_request` decides everything about the document and its signature; every `XadesError` it raises is
answered synchronously with HTTP 400 and the KSeF code it carries (9101–9105, 21001, 21115, 21217, 21401), except a
certificate outside its validity period, which KSeF reports as status 460 (the error then carries the verified
login). What the login flow decides afterwards (challenge freshness, certificate trust, blocked context, deceased
person, permissions) becomes the operation's status instead (450/460/470/480/415).
"""

from __future__ import annotations

from datetime import datetime

from ksef_mcu.crypto.xades import VerifiedLogin, XadesError, verify_auth_token_request
from ksef_mcu.server.errors import BadRequestError


def verify_xades_login(xml: bytes, now: datetime) -> VerifiedLogin:
    """Verify a signed AuthTokenRequest. Raises `BadRequestError` with the KSeF code of the rejection."""
    try:
        return verify_auth_token_request(xml, now=now)
    except XadesError as error:
        if error.login is not None:
            # A sound signature by a certificate outside its validity: the login is recorded and the login flow
            # reports status 460, as KSeF does, instead of refusing the request.
            return error.login
        raise BadRequestError(*error.details, code=error.code, description=error.description) from error
