"""`/healthz`: whether the server and its database answer (for load balancers and operators)."""

from __future__ import annotations

import logging
from typing import Annotated, Protocol

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from ksef_mcu import __version__
from ksef_mcu.server.http.deps import HttpComponents, get_components
from ksef_mcu.server.http.schemas import ResponseModel
from ksef_mcu.server.settings import ServerSettings
from ksef_mcu.storage.errors import classify_database_error

logger = logging.getLogger("ksef_mcu.server")


class HealthComponents(HttpComponents, Protocol):
    """What this route reads from the components."""

    @property
    def settings(self) -> ServerSettings: ...


Components = Annotated[HealthComponents, Depends(get_components)]

health_router = APIRouter(tags=["Stan serwera"])


class HealthResponse(ResponseModel):
    status: str
    database: str
    mode: str
    version: str


@health_router.get("/healthz", summary="Stan serwera")
def health(components: Components) -> JSONResponse:
    """200 when the database answers, 503 otherwise."""
    try:
        components.database.ping()
        database = "ok"
    except Exception as error:
        failure = classify_database_error(error)
        if failure is None:
            raise
        # The class only: a driver's message can carry connection details.
        logger.warning("health check: the database does not answer (%s: %s)", failure.value, type(error).__qualname__)
        database = "unavailable"
    body = HealthResponse(
        status="ok" if database == "ok" else "degraded",
        database=database,
        mode=components.settings.mode.value,
        version=__version__,
    )
    return JSONResponse(body.model_dump(), status_code=200 if database == "ok" else 503)
