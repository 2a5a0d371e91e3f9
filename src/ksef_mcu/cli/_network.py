"""What every networked command shares: the `--env`/`--base-url` options, the client built from the saved login
profile (tokens refreshed and saved back automatically), spinners, and dates typed on the command line.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Annotated

import typer
from rich.markup import escape

from ksef_mcu.cli._common import ExitCode, console, error_console, fail
from ksef_mcu.cli._lazy import client as client_api
from ksef_mcu.cli._lazy import client_environments, httpx, rich_status
from ksef_mcu.cli._profiles import Profile, delete_profile, load_profile, save_profile
from ksef_mcu.formatting import polish_date

ENVIRONMENT_VARIABLE = "KSEF_MCU_ENV"
BASE_URL_VARIABLE = "KSEF_MCU_API_URL"

# Tests replace these to run the commands against an httpx MockTransport, or an app in-process through a ready
# client (Starlette's TestClient), without waiting.
http_transport: httpx.BaseTransport | None = None
http_client: httpx.Client | None = None
client_sleep: Callable[[float], None] | None = None


class EnvironmentChoice(enum.StrEnum):
    """`--env` values."""

    LOCAL = "local"
    TEST = "test"
    DEMO = "demo"
    PROD = "prod"


EnvironmentOption = Annotated[
    EnvironmentChoice,
    typer.Option(
        "--env",
        envvar=ENVIRONMENT_VARIABLE,
        case_sensitive=False,
        help="Środowisko KSeF: local (własny serwer ksef-mcu), test, demo albo prod (Ministerstwa Finansów).",
    ),
]
BaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        envvar=BASE_URL_VARIABLE,
        help="Adres API innego serwera, np. http://127.0.0.1:9000 (/v2 dopisywane). Domyślnie adres środowiska "
        "albo ten, do którego się zalogowano.",
        show_default=False,
    ),
]


def today() -> dt.date:
    """Today's date in Poland."""
    return polish_date(dt.datetime.now(dt.UTC))


def parse_date(text: str, option: str) -> dt.date:
    """A `YYYY-MM-DD` date from the command line."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        fail(f"Nieprawidłowa data w {option}: {text!r} (oczekiwano RRRR-MM-DD, np. 2026-03-01).", ExitCode.USAGE)


def login_hint(environment: client_api.Environment) -> str:
    flag = "" if environment is client_api.Environment.LOCAL else f" --env {environment.value}"
    return f"ksef-mcu login{flag} --cert PLIK.crt --key PLIK.key"


@dataclass
class Session:
    """A client for one environment plus the login profile its tokens come from (kept in sync on refresh)."""

    environment: client_api.Environment
    base_url: str
    client: client_api.KsefClient
    profile: Profile | None = None
    warnings: list[client_api.SystemWarning] = field(default_factory=list)

    def on_tokens_changed(self, tokens: client_api.TokenState | None) -> None:
        if tokens is None:
            return  # `logout` deletes the profile itself, after telling the server
        if self.profile is not None and tokens != self.profile.tokens:
            self.profile = self.profile.with_tokens(tokens)
            save_profile(self.profile)

    def on_system_warning(self, warnings: object, method: str, path: str) -> None:
        if isinstance(warnings, (list, tuple)):
            for warning in warnings:
                if isinstance(warning, client_api.SystemWarning):
                    self.warnings.append(warning)
                    error_console.print(f"[yellow]Ostrzeżenie KSeF:[/] {escape(str(warning))}")

    def attach(self, profile: Profile) -> None:
        """Start saving token changes into `profile` (after a login)."""
        self.profile = profile
        save_profile(profile)


_LOCALHOST = re.compile(r"^(https?://)localhost(?=[:/]|$)", re.IGNORECASE)


def same_host_as_local_server(url: str) -> str:
    """`localhost` written as `127.0.0.1`, the address `ksef-mcu serve` listens on and `--env local` uses: one server,
    one spelling, so a login made through one is the login of the other (and `localhost` never resolves to `::1`,
    where the server is not listening)."""
    return _LOCALHOST.sub(r"\g<1>127.0.0.1", url.strip())


def resolve_base_url(environment: client_api.Environment, base_url: str | None, profile: Profile | None) -> str:
    """`--base-url` if given, else the server the profile logged in to, else the environment's own address."""
    try:
        if base_url:
            return client_environments.normalize_base_url(same_host_as_local_server(base_url))
    except client_api.KsefInvalidInputError as error:
        fail(error.message, ExitCode.USAGE)
    if profile is not None:
        return profile.base_url
    return environment.api_base_url


@contextlib.contextmanager
def connect(
    environment: EnvironmentChoice | client_api.Environment | str, base_url: str | None, *, login_required: bool = True
) -> Iterator[Session]:
    """A client for `environment` using the saved login; fails (before any request) when a login is required and
    there is none, or when `--base-url` points at another server than the one logged in to.

    A refresh the server refuses (session ended or expired) removes the useless profile and tells the user to log
    in again.
    """
    env = client_api.Environment.parse(str(environment))
    profile = load_profile(env)
    url = resolve_base_url(env, base_url, profile)
    if login_required:
        if profile is None:
            fail(f"Nie jesteś zalogowany do środowiska {env.value}. Zaloguj się: {login_hint(env)}")
        if profile.base_url != url:
            fail(
                f"Profil środowiska {env.value} jest zalogowany do {profile.base_url}, a wskazano {url}. "
                f"Zaloguj się do tego serwera: {login_hint(env)} --base-url {url}",
                ExitCode.USAGE,
            )
    holder: list[Session] = []
    client = client_api.KsefClient(
        env,
        base_url=url,
        tokens=profile.tokens if login_required and profile is not None else None,
        transport=http_transport,
        http_client=http_client,
        sleep=client_sleep,
        on_tokens_changed=lambda tokens: holder[0].on_tokens_changed(tokens) if holder else None,
        on_system_warning=lambda warnings, method, path: (
            holder[0].on_system_warning(warnings, method, path) if holder else None
        ),
    )
    session = Session(env, url, client, profile if login_required else None)
    holder.append(session)
    try:
        yield session
    except client_api.KsefNotAuthenticatedError as error:
        if session.profile is not None:
            delete_profile(env)
        fail(f"{error.message} Zaloguj się ponownie: {login_hint(env)}", ExitCode.REFUSED)
    finally:
        client.close()


@contextlib.contextmanager
def spinner(text: str) -> Iterator[rich_status.Status]:
    """A spinner with `text` on stderr while the block runs (nothing when stderr is not a terminal)."""
    with error_console.status(text, spinner="dots") as status:
        yield status


def print_done(text: str) -> None:
    console.print(f"[green]✓[/] {text}")
