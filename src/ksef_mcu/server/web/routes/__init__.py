"""The MCU screens' routes: the start page, the logins, the certificates, the permissions, the KSeF tokens, the API
documentation.

HTTP only, like every domain's routes: read the form, make the service calls, render the page or redirect.
"""

from fastapi import APIRouter

from ksef_mcu.server.web.routes.certificates import certificates_router
from ksef_mcu.server.web.routes.docs import docs_router
from ksef_mcu.server.web.routes.login import login_router
from ksef_mcu.server.web.routes.permissions import permissions_router
from ksef_mcu.server.web.routes.start import start_router
from ksef_mcu.server.web.routes.tokens import tokens_router

__all__ = ["screens_routers"]


def screens_routers() -> list[APIRouter]:
    return [start_router, login_router, certificates_router, permissions_router, tokens_router, docs_router]
