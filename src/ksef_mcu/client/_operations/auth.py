"""API tag "Uzyskiwanie dostępu" / "Aktywne sesje": XAdES login, token refresh, sessions, logout."""

from __future__ import annotations

import base64
from collections.abc import Callable

from pydantic import TypeAdapter

from ksef_mcu.client._core import (
    ApiRequest,
    Auth,
    ClientState,
    Flow,
    call,
    logger,
    parse_adapter,
    parse_model,
    refresh_access_token,
)
from ksef_mcu.client._faces import D, Face, Page, listing, operation
from ksef_mcu.client._operations.polling import failure_message, poll
from ksef_mcu.client.credentials import CertificateCredentials
from ksef_mcu.client.errors import (
    KsefAuthenticationFailedError,
    KsefAuthError,
    KsefInvalidInputError,
    KsefResponseError,
)
from ksef_mcu.client.models.auth import (
    AuthenticationChallenge,
    AuthenticationInit,
    AuthenticationOperationStatus,
    AuthenticationSession,
    AuthenticationSessionPage,
    AuthenticationTokens,
)
from ksef_mcu.client.models.security import (
    PublicKeyCertificate,
    PublicKeyCertificateUsage,
    select_public_key_certificate,
)
from ksef_mcu.client.tokens import Token, TokenState
from ksef_mcu.client.validation import (
    SESSIONS_PAGE_SIZE_MAX,
    SESSIONS_PAGE_SIZE_MIN,
    validate_page_size,
    validate_reference_number,
    validate_timeout,
)
from ksef_mcu.crypto.encryption import EncryptionError, encrypt_ksef_token
from ksef_mcu.crypto.errors import XadesError
from ksef_mcu.crypto.xades import AuthTokenNamespace, build_auth_token_request
from ksef_mcu.crypto.xades.request import check_allowed_ips, check_context_value
from ksef_mcu.identifiers import AllowedIps, ContextIdentifier, ContextIdentifierType, SubjectIdentifierTypeXml

__all__ = [
    "DEFAULT_AUTH_NAMESPACE",
    "DEFAULT_LOGIN_TIMEOUT",
    "AuthOperations",
    "AuthProgress",
    "SignAuthTokenRequest",
    "certificate_signer",
]

_PUBLIC_KEYS = TypeAdapter(list[PublicKeyCertificate])
DEFAULT_LOGIN_TIMEOUT = 120.0  # seconds; DEMO/PROD may check OCSP/CRL for a while
# The AuthTokenRequest namespace both official clients still send; KSeF accepts 2.0 and 2.1 alike (API 2.5.0).
DEFAULT_AUTH_NAMESPACE = AuthTokenNamespace.V2_0

AuthProgress = Callable[[AuthenticationOperationStatus], None]
SignAuthTokenRequest = Callable[[AuthenticationChallenge], bytes]


class AuthOperations(Face[D]):
    """Authentication: XAdES login, token refresh, sessions, logout."""

    @operation
    def challenge(self) -> Flow[AuthenticationChallenge]:
        """`POST /auth/challenge`: a fresh challenge (valid 10 minutes) to put into the AuthTokenRequest."""
        return _challenge(self._state)

    @operation
    def login_with_xades(
        self,
        sign: Callable[[AuthenticationChallenge], bytes],
        *,
        verify_certificate_chain: bool | None = None,
        timeout: float = DEFAULT_LOGIN_TIMEOUT,
        on_progress: Callable[[AuthenticationOperationStatus], None] | None = None,
    ) -> Flow[TokenState]:
        """Log in with an AuthTokenRequest signed by `sign` (given the challenge, returns the signed XML bytes).

        Runs challenge → `POST /auth/xades-signature` → polls `GET /auth/{ref}` → redeems the tokens, keeps them and
        returns them. `verify_certificate_chain` is sent as the query parameter when not None (TEST accepts
        self-signed certificates unless it is true). Raises `KsefAuthenticationFailedError` (status 415, 460, ...),
        `KsefPollingTimeoutError`, `KsefApiError`.
        """
        return _login_with_xades(
            self._state,
            sign,
            verify_certificate_chain=verify_certificate_chain,
            timeout=timeout,
            on_progress=on_progress,
        )

    @operation
    def login_with_certificate(
        self,
        credentials: CertificateCredentials,
        context: ContextIdentifier,
        *,
        subject_identifier_type: SubjectIdentifierTypeXml | str = SubjectIdentifierTypeXml.CERTIFICATE_SUBJECT,
        allowed_ips: AllowedIps | None = None,
        namespace: AuthTokenNamespace | str = DEFAULT_AUTH_NAMESPACE,
        verify_certificate_chain: bool | None = None,
        timeout: float = DEFAULT_LOGIN_TIMEOUT,
        on_progress: Callable[[AuthenticationOperationStatus], None] | None = None,
    ) -> Flow[TokenState]:
        """Log in with a certificate and its key into `context` (`ContextIdentifier(ContextIdentifierType.NIP, nip)`).

        Builds the AuthTokenRequest (namespace 2.0 by default, what the official clients send), signs it with XAdES
        and runs `login_with_xades`. `subject_identifier_type` is `certificateSubject` (NIP/PESEL from the
        certificate) or `certificateFingerprint`; `allowed_ips` restricts the tokens to those addresses. Raises
        `KsefInvalidInputError` (expired certificate, bad context) before sending, then as `login_with_xades`.
        """
        credentials.check_valid_at(self._state.now())
        sign = certificate_signer(
            credentials,
            context,
            subject_identifier_type=subject_identifier_type,
            allowed_ips=allowed_ips,
            namespace=namespace,
        )
        return (
            yield from _login_with_xades(
                self._state,
                sign,
                verify_certificate_chain=verify_certificate_chain,
                timeout=timeout,
                on_progress=on_progress,
            )
        )

    @operation
    def login_with_ksef_token(
        self,
        token: str,
        context: ContextIdentifier,
        *,
        allowed_ips: AllowedIps | None = None,
        timeout: float = DEFAULT_LOGIN_TIMEOUT,
        on_progress: Callable[[AuthenticationOperationStatus], None] | None = None,
    ) -> Flow[TokenState]:
        """Log in with a KSeF token into `context` (the context the token was generated in).

        Challenge → the MF `KsefTokenEncryption` certificate (`GET /security/public-key-certificates`) →
        `{token}|{timestampMs}` encrypted with RSA-OAEP SHA-256 → `POST /auth/ksef-token` → poll → redeem. The token
        is never logged. Raises `KsefInvalidInputError` (empty token, no usable key), `KsefAuthenticationFailedError`
        (450 invalid/revoked token, 415, …), `KsefApiError`.
        """
        timeout = validate_timeout(timeout)
        try:
            check_context_value(ContextIdentifierType(context.type), context.value)
            if allowed_ips is not None:
                check_allowed_ips(AuthTokenNamespace.V2_1, allowed_ips)
        except XadesError as error:
            raise KsefInvalidInputError(
                error.details[0] if error.details else error.message, field="context"
            ) from error
        state = self._state
        current = yield from _challenge(state)
        keys_request = ApiRequest("GET", "/security/public-key-certificates", idempotent=True)
        keys = parse_adapter((yield from call(state, keys_request)), _PUBLIC_KEYS, keys_request)
        key = select_public_key_certificate(keys, PublicKeyCertificateUsage.KSEF_TOKEN_ENCRYPTION, now=state.now())
        if key is None:
            raise KsefInvalidInputError(
                "KSeF nie udostępnia ważnego certyfikatu KsefTokenEncryption do zaszyfrowania tokena.", field="token"
            )
        try:
            encrypted = encrypt_ksef_token(token, current.timestamp_ms, key.certificate)
        except EncryptionError as error:
            raise KsefInvalidInputError(str(error), field="token") from None
        body: dict[str, object] = {
            "challenge": current.challenge,
            "contextIdentifier": {"type": context.type.value, "value": context.value},
            "encryptedToken": base64.b64encode(encrypted).decode("ascii"),
            "publicKeyId": key.public_key_id,
        }
        if allowed_ips is not None:
            body["authorizationPolicy"] = {"allowedIps": allowed_ips.to_json()}
        request = ApiRequest("POST", "/auth/ksef-token", json=body)
        init = parse_model((yield from call(state, request)), AuthenticationInit, request)
        yield from _wait_for_authentication(state, init, timeout=timeout, on_progress=on_progress)
        redeemed = yield from _redeem_tokens(state, init.authentication_token.token)
        tokens = TokenState(
            access_token=Token(redeemed.access_token.token, redeemed.access_token.valid_until),
            refresh_token=Token(redeemed.refresh_token.token, redeemed.refresh_token.valid_until),
            reference_number=init.reference_number,
        )
        state.set_tokens(tokens)
        return tokens

    @operation
    def submit_xades_signature(
        self, signed_request: bytes, *, verify_certificate_chain: bool | None = None
    ) -> Flow[AuthenticationInit]:
        """`POST /auth/xades-signature` alone (the first step after signing; see `login_with_xades`)."""
        return _submit_xades_signature(self._state, signed_request, verify_certificate_chain=verify_certificate_chain)

    @operation
    def status(self, reference_number: str, authentication_token: str) -> Flow[AuthenticationOperationStatus]:
        """`GET /auth/{referenceNumber}`: the status of an authentication operation."""
        return _authentication_status(self._state, reference_number, authentication_token)

    @operation
    def redeem(self, authentication_token: str) -> Flow[AuthenticationTokens]:
        """`POST /auth/token/redeem` alone (does not store the tokens; `login_with_xades` does)."""
        return _redeem_tokens(self._state, authentication_token)

    @operation
    def refresh(self) -> Flow[TokenState]:
        """Renew the access token now (the client also does it by itself before expiry and after a 401)."""
        return refresh_access_token(self._state)

    @listing
    def sessions(self, *, page_size: int = SESSIONS_PAGE_SIZE_MAX) -> Flow[Page[AuthenticationSession]]:
        """Every active authentication session (`GET /auth/sessions`, all pages), newest first."""
        validate_page_size(page_size, minimum=SESSIONS_PAGE_SIZE_MIN, maximum=SESSIONS_PAGE_SIZE_MAX)
        return _sessions(self._state, page_size, continuation_token=None)

    @operation
    def revoke_session(self, reference_number: str) -> Flow[None]:
        """`DELETE /auth/sessions/{referenceNumber}`: end another session of yours."""
        reference_number = validate_reference_number(reference_number)
        path = f"/auth/sessions/{reference_number}"
        yield from call(self._state, ApiRequest("DELETE", path, auth=Auth.ACCESS, idempotent=True))

    @operation
    def logout(self) -> Flow[None]:
        """`DELETE /auth/sessions/current` and forget the tokens (a no-op when not logged in).

        Uses the access token, or the refresh token when the access token has expired (KSeF accepts either). Tokens
        KSeF no longer accepts (401) are forgotten as well; other errors keep them and propagate.
        """
        state = self._state
        tokens = state.tokens
        if tokens is None:
            return
        now = state.now()
        bearer = (
            tokens.access_token.token
            if tokens.access_token.is_valid(now)
            else tokens.refresh_token.token
            if tokens.refresh_token is not None and tokens.refresh_token.is_valid(now)
            else None
        )
        if bearer is not None:
            request = ApiRequest("DELETE", "/auth/sessions/current", auth=bearer, idempotent=True)
            try:
                yield from call(state, request)
            except KsefAuthError:
                logger.info("logout: KSeF no longer accepts the token; forgetting it")
        state.set_tokens(None)


# --- the flows the login is made of -------------------------------------------------------------------------------


def _challenge(state: ClientState) -> Flow[AuthenticationChallenge]:
    request = ApiRequest("POST", "/auth/challenge", idempotent=True)
    return parse_model((yield from call(state, request)), AuthenticationChallenge, request)


def _submit_xades_signature(
    state: ClientState, signed_request: bytes, *, verify_certificate_chain: bool | None
) -> Flow[AuthenticationInit]:
    if not isinstance(signed_request, bytes) or not signed_request.strip():
        raise KsefInvalidInputError("Podpisany dokument AuthTokenRequest jest pusty.", field="signed_request")
    params = (
        None if verify_certificate_chain is None else {"verifyCertificateChain": str(verify_certificate_chain).lower()}
    )
    request = ApiRequest(
        "POST", "/auth/xades-signature", params=params, content=signed_request, content_type="application/xml"
    )
    return parse_model((yield from call(state, request)), AuthenticationInit, request)


def _authentication_status(
    state: ClientState, reference_number: str, authentication_token: str
) -> Flow[AuthenticationOperationStatus]:
    reference_number = validate_reference_number(reference_number)
    request = ApiRequest("GET", f"/auth/{reference_number}", auth=authentication_token, idempotent=True)
    return parse_model((yield from call(state, request)), AuthenticationOperationStatus, request)


def _redeem_tokens(state: ClientState, authentication_token: str) -> Flow[AuthenticationTokens]:
    request = ApiRequest("POST", "/auth/token/redeem", auth=authentication_token)
    return parse_model((yield from call(state, request)), AuthenticationTokens, request)


def _wait_for_authentication(
    state: ClientState, init: AuthenticationInit, *, timeout: float, on_progress: AuthProgress | None
) -> Flow[AuthenticationOperationStatus]:
    """Poll `GET /auth/{ref}` until the operation leaves status 100.

    Raises `KsefAuthenticationFailedError` for a failure status and `KsefPollingTimeoutError` after `timeout` s.
    """
    reference_number = init.reference_number
    status = yield from poll(
        state,
        lambda: _authentication_status(state, reference_number, init.authentication_token.token),
        lambda result: result.status,
        reference_number=reference_number,
        timeout=timeout,
        on_progress=on_progress,
        what="Uwierzytelnianie",
    )
    if not status.status.succeeded:
        info = status.status
        raise KsefAuthenticationFailedError(
            failure_message("Uwierzytelnianie w KSeF nie powiodło się", info),
            reference_number=reference_number,
            status_code=info.code,
            description=info.description,
            details=info.details,
        )
    return status


def _login_with_xades(
    state: ClientState,
    sign: SignAuthTokenRequest,
    *,
    verify_certificate_chain: bool | None,
    timeout: float,
    on_progress: AuthProgress | None,
) -> Flow[TokenState]:
    """Challenge → signed AuthTokenRequest (`sign`) → `POST /auth/xades-signature` → poll → redeem; store the tokens."""
    timeout = validate_timeout(timeout)
    current = yield from _challenge(state)
    signed_request = sign(current)
    init = yield from _submit_xades_signature(state, signed_request, verify_certificate_chain=verify_certificate_chain)
    yield from _wait_for_authentication(state, init, timeout=timeout, on_progress=on_progress)
    redeemed = yield from _redeem_tokens(state, init.authentication_token.token)
    tokens = TokenState(
        access_token=Token(redeemed.access_token.token, redeemed.access_token.valid_until),
        refresh_token=Token(redeemed.refresh_token.token, redeemed.refresh_token.valid_until),
        reference_number=init.reference_number,
    )
    state.set_tokens(tokens)
    return tokens


def _sessions(
    state: ClientState, page_size: int, *, continuation_token: str | None
) -> Flow[Page[AuthenticationSession]]:
    """`GET /auth/sessions`: one page of the caller's sessions; an empty page or no token ends the listing."""
    request = ApiRequest(
        "GET",
        "/auth/sessions",
        auth=Auth.ACCESS,
        idempotent=True,
        params={"pageSize": page_size},
        headers={"x-continuation-token": continuation_token} if continuation_token else None,
    )
    page = parse_model((yield from call(state, request)), AuthenticationSessionPage, request)
    following = page.continuation_token if page.continuation_token and page.items else None
    return Page(page.items, None if following is None else _sessions(state, page_size, continuation_token=following))


def certificate_signer(
    credentials: CertificateCredentials,
    context: ContextIdentifier,
    *,
    subject_identifier_type: SubjectIdentifierTypeXml | str,
    allowed_ips: AllowedIps | None,
    namespace: AuthTokenNamespace | str,
) -> SignAuthTokenRequest:
    """A `sign` callback for `login_with_xades` that builds and signs the AuthTokenRequest with `credentials`.

    The context, subject type, IP policy and namespace are checked at once (`KsefInvalidInputError`), before any
    request is sent. SigningTime is the challenge's own timestamp: KSeF's clock, taken seconds before signing,
    so a skewed local clock cannot make the signature look as if it came from the future.
    """
    try:
        version = AuthTokenNamespace(namespace)
        subject_type = SubjectIdentifierTypeXml(subject_identifier_type)
        check_context_value(ContextIdentifierType(context.type), context.value)
        if allowed_ips is not None:
            check_allowed_ips(version, allowed_ips)
    except XadesError as error:
        raise KsefInvalidInputError(error.details[0] if error.details else error.message, field="context") from error
    except ValueError as error:
        raise KsefInvalidInputError(f"Nieprawidłowy parametr logowania: {error}", field="context") from error

    def sign(challenge: AuthenticationChallenge) -> bytes:
        try:
            document = build_auth_token_request(challenge.challenge, context, subject_type, allowed_ips, version)
            return credentials.signer.sign(document, now=challenge.timestamp)
        except XadesError as error:
            # Only the challenge is new here; a malformed one is KSeF's fault, not the caller's.
            raise KsefResponseError(
                f"Nie można podpisać wyzwania KSeF: {error.message}",
                http_status=200,
                method="POST",
                url="/auth/challenge",
                problems=error.details,
            ) from error

    return sign
