"""The shared guard's answers on the screens' mount are pages for people: a body over the limit (413, refused before
it is read) and a database that is busy or away (503 with `Retry-After`, never a 500 page)."""

from __future__ import annotations

import sqlite3
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI

from ksef_mcu.server.composition import ServerComponents
from ksef_mcu.server.settings import ServerSettings
from support.server import running

pytestmark = [pytest.mark.anyio, pytest.mark.db]


async def test_oversized_form_is_a_page(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/logowanie", content=b"a=" + b"x" * 1_100_000, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert "Za duży plik" in response.text
    assert "Najwyższy dopuszczalny rozmiar to 1,0 MB." in response.text


async def test_database_away_is_a_page(app_factory: Any, settings: ServerSettings) -> None:
    class Failing:
        name = "failing"

        def install(self, app: FastAPI, components: ServerComponents) -> None:
            router = APIRouter()

            @router.get("/certyfikaty/zajete")
            def busy() -> None:
                raise sqlite3.OperationalError("database is locked")

            app.router.routes[:0] = router.routes

    app: FastAPI = app_factory(settings, modules=[Failing()])
    async with running(app) as client:
        response = await client.get("/certyfikaty/zajete")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.headers["content-type"].startswith("text/html")
    assert "Serwis chwilowo niedostępny" in response.text
    assert "Nic nie zostało zapisane" in response.text
