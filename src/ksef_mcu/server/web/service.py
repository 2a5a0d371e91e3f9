"""The logins of the MCU screens, over the auth domain's services: the same challenges, the same XAdES verification
and the same tokens as `/v2/auth/*` — the screens only add how a person gets the document signed.

- Certyfikat kwalifikowany / Odcisk palca certyfikatu kwalifikowanego: the server hands out an AuthTokenRequest for
  a fresh challenge (`document_to_sign`), the person signs it with any XAdES tool and uploads it
  (`sign_in_with_document`).
- Certyfikat KSeF: the browser keeps the key; the server prepares the request and its canonical SignedInfo for the
  certificate the browser sent (`prepare_ksef_certificate_login`, `crypto.xades.two_step`), the browser signs those
  bytes, and the server assembles and verifies the signature (`sign_in_with_ksef_certificate`). Between the two
  requests the server keeps nothing: the state (challenge, context, time, certificate) travels signed with the page.
- Profil Zaufany (sandbox only): the test login of the official TEST environment (`sign_in_for_test`), creating the
  test person's NIP binding when it is missing.

Each ends like a `/v2` client: the status of the authentication, then the token redemption. A login whose status is
not 200 raises `LoginRefusedError` with the status, which the screens explain.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography import x509

from ksef_mcu.clock import Clock
from ksef_mcu.crypto.certificates import sha256_fingerprint
from ksef_mcu.crypto.errors import CertificateError, XadesError
from ksef_mcu.crypto.xades import SubjectIdentifierTypeXml, build_auth_token_request
from ksef_mcu.crypto.xades.two_step import complete_signature, prepare_signature
from ksef_mcu.identifiers import ContextIdentifier, ContextIdentifierType, SubjectIdentifier, SubjectIdentifierType
from ksef_mcu.server.auth.model import AuthenticationMethod, AuthStatus, AuthStatusCode, SubjectDetails
from ksef_mcu.server.auth.service import AuthenticationService, ChallengeService, StartedAuthentication
from ksef_mcu.server.errors import AlreadyExistsError, InputValidationError
from ksef_mcu.server.testdata.service import PersonSpec, TestDataService
from ksef_mcu.web.signing import SignedSerializer

__all__ = ["WEB_SECRET_PURPOSE", "LoginRefusedError", "PreparedKsefLogin", "TestIdentity", "WebLogin", "WebLogins"]

MAX_CERTIFICATE_BYTES = 64 * 1024
WEB_SECRET_PURPOSE = "ksef-mcu web screens"  # noqa: S105 - an HKDF purpose label, not a secret
"""`ServerKeys.derived_secret` purpose of the screens' signing key (session cookies, logins in progress)."""
TEST_PERSON_DESCRIPTION = "Osoba testowa (logowanie Profil Zaufany na ekranach MCU)"


class LoginRefusedError(Exception):
    """The signature checked out but the login did not succeed (status 415, 460, …)."""

    def __init__(self, status: AuthStatus, context: ContextIdentifier) -> None:
        super().__init__(status.description)
        self.status = status
        self.context = context


@dataclass(frozen=True, slots=True)
class WebLogin:
    """A successful login, as the cookie session keeps it."""

    reference_number: str
    access_token: str
    refresh_token: str
    method: AuthenticationMethod
    context: ContextIdentifier
    subject: SubjectIdentifier
    display_name: str
    certificate_fingerprint: str | None

    def to_session(self) -> dict[str, Any]:
        return {
            "ref": self.reference_number,
            "access": self.access_token,
            "refresh": self.refresh_token,
            "method": self.method.value,
            "context": [self.context.type.value, self.context.value],
            "subject": [self.subject.type.value, self.subject.value],
            "name": self.display_name,
            "fingerprint": self.certificate_fingerprint,
        }


@dataclass(frozen=True, slots=True)
class PreparedKsefLogin:
    signed_info: str
    """Base64 of the canonical SignedInfo the browser signs."""
    signature_method: str
    state: str
    """Everything needed to finish, signed by the server (the page sends it back with the signature value)."""


@dataclass(frozen=True, slots=True)
class TestIdentity:
    """Who logs in through the sandbox's test login: a company by its NIP, or a person by PESEL in a NIP context."""

    __test__ = False  # not a pytest test class

    context_nip: str
    pesel: str | None = None
    given_name: str | None = None
    surname: str | None = None
    organization_name: str | None = None

    def details(self) -> SubjectDetails:
        if self.pesel is None:
            name = self.organization_name or "Firma testowa"
            return SubjectDetails(
                identifier=SubjectIdentifier(SubjectIdentifierType.NIP, self.context_nip),
                common_name=name,
                country_name="PL",
                organization_name=name,
                organization_identifier=f"VATPL-{self.context_nip}",
            )
        given_name = self.given_name or "Jan"
        surname = self.surname or "Testowy"
        return SubjectDetails(
            identifier=SubjectIdentifier(SubjectIdentifierType.PESEL, self.pesel),
            given_names=(given_name,),
            surname=surname,
            serial_number=f"PNOPL-{self.pesel}",
            common_name=f"{given_name} {surname}",
            country_name="PL",
        )


def _display_name(details: SubjectDetails) -> str:
    if details.common_name:
        return details.common_name
    person = " ".join([*details.given_names, details.surname or ""]).strip()
    return person or details.organization_name or details.identifier.value


class WebLogins:
    """The screens' ways of logging in; every one ends in the auth domain's status check and token redemption."""

    def __init__(
        self,
        *,
        clock: Clock,
        challenges: ChallengeService,
        authentication: AuthenticationService,
        testdata: TestDataService,
        signer: SignedSerializer,
        state_lifetime: timedelta,
    ) -> None:
        self._clock = clock
        self._challenges = challenges
        self._authentication = authentication
        self._testdata = testdata
        self._signer = signer
        self._state_lifetime = state_lifetime

    # --- a document signed outside the browser ----------------------------------------------------------------------

    def document_to_sign(self, context: ContextIdentifier, *, by_fingerprint: bool, client_ip: str) -> bytes:
        """An unsigned AuthTokenRequest for a fresh challenge (valid for the challenge lifetime, usable once)."""
        challenge = self._challenges.issue(client_ip)
        subject_type = (
            SubjectIdentifierTypeXml.CERTIFICATE_FINGERPRINT
            if by_fingerprint
            else SubjectIdentifierTypeXml.CERTIFICATE_SUBJECT
        )
        return build_auth_token_request(challenge.challenge, context, subject_type)

    def sign_in_with_document(self, xml: bytes, *, client_ip: str) -> WebLogin:
        """Log in with a signed AuthTokenRequest. Raises the auth domain's `BadRequestError`s (a malformed or
        wrongly signed document, an unknown or used challenge) and `LoginRefusedError`."""
        started = self._authentication.start_xades(xml, verify_certificate_chain=False, client_ip=client_ip)
        return self._finish(started)

    # --- Certyfikat KSeF: the browser signs ----------------------------------------------------------------------

    def prepare_ksef_certificate_login(
        self, certificate_der: bytes, context: ContextIdentifier, *, client_ip: str
    ) -> PreparedKsefLogin:
        """The SignedInfo for the browser to sign with the certificate's key. Raises `InputValidationError` for a
        certificate that is not one or whose key cannot sign a KSeF login."""
        certificate = _certificate(certificate_der)
        now = self._clock.now()
        challenge = self._challenges.issue(client_ip).challenge
        xml = build_auth_token_request(challenge, context, SubjectIdentifierTypeXml.CERTIFICATE_SUBJECT)
        try:
            prepared = prepare_signature(xml, certificate, now=now)
        except CertificateError as error:
            raise InputValidationError(error.message) from error
        state = self._signer.dumps(
            {
                "challenge": challenge,
                "context": [context.type.value, context.value],
                "now": now.isoformat(),
                "certificate": base64.b64encode(certificate_der).decode("ascii"),
            }
        )
        return PreparedKsefLogin(
            signed_info=base64.b64encode(prepared.signed_info).decode("ascii"),
            signature_method=prepared.signature_method,
            state=state,
        )

    def sign_in_with_ksef_certificate(self, state: str, signature_value: str, *, client_ip: str) -> WebLogin:
        """Assemble the signature from the browser's SignatureValue (Base64) and log in. Raises
        `InputValidationError` for a state this server did not sign or that is too old, `XadesError`-based
        `BadRequestError`s for a value that does not verify, and `LoginRefusedError`."""
        payload = self._signer.loads(state)
        if payload is None:
            raise InputValidationError("Logowanie nie powiodło się: dane logowania zostały zmienione. Zacznij od nowa.")
        try:
            prepared_at = datetime.fromisoformat(payload["now"])
            context = ContextIdentifier(ContextIdentifierType(payload["context"][0]), str(payload["context"][1]))
            certificate = _certificate(base64.b64decode(payload["certificate"], validate=True))
            challenge = str(payload["challenge"])
            value = base64.b64decode(signature_value, validate=True)
        except (KeyError, IndexError, TypeError, ValueError, binascii.Error) as error:
            raise InputValidationError(
                "Logowanie nie powiodło się: niekompletne dane podpisu. Zacznij od nowa."
            ) from error
        if self._clock.now() - prepared_at > self._state_lifetime:
            raise InputValidationError("Minęło zbyt wiele czasu od rozpoczęcia logowania. Zacznij od nowa.")
        xml = build_auth_token_request(challenge, context, SubjectIdentifierTypeXml.CERTIFICATE_SUBJECT)
        prepared = prepare_signature(xml, certificate, now=prepared_at)
        try:
            signed = complete_signature(prepared, value)
        except XadesError as error:
            raise InputValidationError(
                "Podpis nie pasuje do certyfikatu: klucz prywatny nie należy do wskazanego certyfikatu.", error.message
            ) from error
        return self.sign_in_with_document(signed, client_ip=client_ip)

    # --- Profil Zaufany (sandbox test login) ----------------------------------------------------------------------

    def sign_in_for_test(self, identity: TestIdentity, *, client_ip: str) -> WebLogin:
        """The sandbox's test login; a person's PESEL is bound to the context NIP (owner) when the NIP has no
        person yet, as `/v2/testdata/person` would. Raises `ForbiddenError` in strict mode, `LoginRefusedError`."""
        if identity.pesel is not None:
            # When the NIP has its person already, the login's permissions decide.
            with contextlib.suppress(AlreadyExistsError):
                self._testdata.create_person(
                    PersonSpec(
                        nip=identity.context_nip,
                        pesel=identity.pesel,
                        is_bailiff=False,
                        description=TEST_PERSON_DESCRIPTION,
                    )
                )
        context = ContextIdentifier(ContextIdentifierType.NIP, identity.context_nip)
        started = self._authentication.start_test_login(context, identity.details(), client_ip=client_ip)
        return self._finish(started)

    # --- the common end -----------------------------------------------------------------------------------------

    def _finish(self, started: StartedAuthentication) -> WebLogin:
        token = started.authentication_token.token
        record = self._authentication.status(started.reference_number, token)
        if record.status.code is not AuthStatusCode.SUCCEEDED:
            raise LoginRefusedError(record.status, record.context)
        redeemed = self._authentication.redeem(token)
        return WebLogin(
            reference_number=record.reference_number,
            access_token=redeemed.access_token.token,
            refresh_token=redeemed.refresh_token.token,
            method=record.authentication_method,
            context=record.context,
            subject=record.subject,
            display_name=_display_name(record.subject_details),
            certificate_fingerprint=record.certificate_fingerprint,
        )


def _certificate(der: bytes) -> x509.Certificate:
    if not der or len(der) > MAX_CERTIFICATE_BYTES:
        raise InputValidationError("Plik certyfikatu jest pusty albo za duży.")
    try:
        certificate = x509.load_der_x509_certificate(der)
        sha256_fingerprint(certificate)
    except ValueError as error:
        raise InputValidationError("Plik certyfikatu jest nieprawidłowy (oczekiwano certyfikatu X.509).") from error
    return certificate
