"""How the MCU screens' mount answers failures: Polish pages for people (`ErrorResponder` of `http/problems.py`),
never the KSeF JSON the `/v2` mount answers with."""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from starlette.responses import Response

from ksef_mcu.server.certificates.errors import CertificateNotFoundError, EnrollmentNotFoundError
from ksef_mcu.server.errors import (
    BadRequestError,
    ForbiddenError,
    GoneError,
    KsefServerError,
    NotFoundError,
    PayloadTooLargeError,
    ServiceUnavailableError,
    TooManyRequestsError,
    UnauthorizedError,
)
from ksef_mcu.server.web.messages import error_lines
from ksef_mcu.web.errors import PageError
from ksef_mcu.web.errors import PayloadTooLargeError as FormTooLargeError
from ksef_mcu.web.pages import ErrorPages

logger = logging.getLogger("ksef_mcu.server.web")


class ScreenRefusedError(PageError):
    """The person may not use this screen or action here: 403, a page saying why and what to do."""

    status = 403
    kind = "refused"


class ScreenNotFoundError(PageError):
    """What the page names (a grant, an operation, a token) is not among the person's: 404, nothing changed."""

    status = 404
    kind = "not-found"


class ScreenGoneError(PageError):
    status = 410
    kind = "gone"


class ScreenErrors:
    """`ErrorResponder` for the screens' paths."""

    def __init__(self, pages: ErrorPages) -> None:
        self._pages = pages

    def domain_error(self, request: Request, error: KsefServerError) -> Response:
        if isinstance(error, CertificateNotFoundError | EnrollmentNotFoundError):
            return self._pages.render(
                request,
                404,
                title="Nie znaleziono",
                message="Nie ma takiego certyfikatu ani wniosku wśród Twoich. Nic nie zostało zmienione.",
                details=error.details,
            )
        if isinstance(error, BadRequestError):
            return self._pages.render(
                request,
                400,
                title="Nie można wykonać operacji",
                message=error_lines(error)[0],
                details=error_lines(error)[1:],
            )
        if isinstance(error, UnauthorizedError):
            return self._pages.render(request, 401, kind="expired")
        if isinstance(error, ForbiddenError):
            return self._pages.render(request, 403, message=error.detail)
        if isinstance(error, NotFoundError):
            return self._pages.render(request, 404)
        if isinstance(error, GoneError):
            return self._pages.render(request, 410)
        if isinstance(error, TooManyRequestsError):
            response = self._pages.render(request, 429)
            response.headers["Retry-After"] = str(error.retry_after)
            return response
        if isinstance(error, PayloadTooLargeError):
            # Refused by the shared guard before the form was read (issue 16): the toolkit's own page for it.
            return self._pages.page_error(request, FormTooLargeError(error.limit))
        if isinstance(error, ServiceUnavailableError):
            # The database is busy or away (the shared guard's mapping): nothing was saved, try again shortly.
            response = self._pages.render(request, 503, title="Serwis chwilowo niedostępny", message=error.detail)
            response.headers["Retry-After"] = str(error.retry_after)
            return response
        return self.unexpected_error(request, error)

    def validation_error(self, request: Request, error: RequestValidationError) -> Response:
        return self._pages.render(request, 400)

    def http_error(self, request: Request, status_code: int) -> Response:
        return self._pages.render(request, status_code)

    def unexpected_error(self, request: Request, error: BaseException) -> Response:
        logger.error("unhandled error in %s %s", request.method, request.url.path, exc_info=error)
        return self._pages.render(request, 500)
