"""Helpers shared by the command groups: consoles, errors → exit codes, passwords, safe file reading and writing.

Every command turns failures into a Polish message on stderr and an exit code from `ExitCode` (the table in
docs/cli.md), and never leaves a partial or overwritten file behind: files are written to a temporary name in the
target directory and linked into place only if the name is still free.
"""

from __future__ import annotations

import datetime
import enum
import functools
import getpass
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, ParamSpec, TypeVar, cast

import typer
from rich.markup import escape

from ksef_mcu.cli._lazy import client, crypto_errors, crypto_keys, httpx, passwords, x509
from ksef_mcu.formatting import iso_moment
from ksef_mcu.identifiers import IdentifierError
from ksef_mcu.storage import files

if TYPE_CHECKING:
    from rich.console import Console


class ExitCode(enum.IntEnum):
    """What `ksef-mcu` exits with, so that a script can tell failures apart (docs/cli.md, "Exit codes")."""

    OK = 0
    REFUSED = 1
    """KSeF (or our server) said no: an API error, a rejected request or login, an unknown serial or reference."""
    USAGE = 2
    """The command line is wrong: a missing or unknown option, a bad value, options that exclude each other."""
    LOCAL = 3
    """A local file or password: missing, unreadable or existing file, wrong or weak password, key and certificate
    that do not match, no login profile."""
    UNAVAILABLE = 4
    """The network or the server: no connection, a time-out, 5xx, a rate limit that did not pass, an answer outside
    the contract, a certificate not issued within `--wait`."""
    CANCELLED = 5
    """You stopped it: answered no, or the input ended at a question."""


MAX_INPUT_BYTES = 10 * 1024 * 1024
"""Largest file a command reads (keys, certificates, CSRs, enrollment data, invoices)."""


class _ConsoleOnFirstUse:
    """A rich `Console` made when first used (importing rich's console costs start-up time `--help` never needs)."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def __getattr__(self, attribute: str) -> Any:
        if self._console is None:
            from rich.console import Console  # noqa: PLC0415 - see the class docstring

            self._console = Console(**self._options)
        return getattr(self._console, attribute)


console = cast("Console", _ConsoleOnFirstUse(highlight=False, soft_wrap=True))
error_console = cast("Console", _ConsoleOnFirstUse(stderr=True, highlight=False, soft_wrap=True))

P = ParamSpec("P")
R = TypeVar("R")


class CliError(Exception):
    """A failure to report to the user: `message` is Polish and printed as is."""

    def __init__(self, message: str, exit_code: ExitCode = ExitCode.LOCAL) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


def fail(message: str, exit_code: ExitCode = ExitCode.LOCAL) -> NoReturn:
    """Stop the command with `message` (the default code is for local file and password problems)."""
    raise CliError(message, exit_code)


def crypto_exit_code(error: crypto_errors.KsefCryptoError) -> ExitCode:
    """A bad name, serial, NIP/PESEL or QR input is a usage error; anything else (files, keys, passwords) is local."""
    if isinstance(
        error,
        (
            crypto_errors.CertificateNameError,
            crypto_errors.SerialNumberError,
            crypto_errors.QrError,
            crypto_errors.IdentifierError,
        ),
    ):
        return ExitCode.USAGE
    return ExitCode.LOCAL


def client_exit_code(error: client.KsefClientError) -> ExitCode:
    """KSeF's no is 1; input the client refused to send is 2; an unavailable or misbehaving server is 4."""
    if isinstance(error, client.KsefInvalidInputError):
        # The client also refuses files it was handed (a key with the wrong password): that is a local problem.
        cause = error.__cause__
        return crypto_exit_code(cause) if isinstance(cause, crypto_errors.KsefCryptoError) else ExitCode.USAGE
    if isinstance(error, (client.KsefRateLimitError, client.KsefResponseError, client.KsefPollingTimeoutError)):
        return ExitCode.UNAVAILABLE
    if isinstance(error, client.KsefApiError) and error.http_status >= 500:
        return ExitCode.UNAVAILABLE
    if isinstance(error, client.KsefOperationError) and error.status_code >= 500:
        return ExitCode.UNAVAILABLE  # 500 / 550: the operation failed on KSeF's side, try again
    return ExitCode.REFUSED


def describe_crypto_error(error: crypto_errors.KsefCryptoError) -> str:
    code = f" [kod {error.code}]" if error.code is not None else ""
    return error.message + code


def report_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Decorator for commands: `CliError`, crypto errors, client errors and network failures become a red message
    on stderr and the exit code of their kind (`ExitCode`)."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except CliError as error:
            _print_error(error.message)
            raise typer.Exit(error.exit_code) from error
        except IdentifierError as error:  # a NIP or PESEL typed by the user (`ksef_mcu.identifiers` checks)
            _print_error(error.message)
            raise typer.Exit(ExitCode.USAGE) from error
        except crypto_errors.KsefCryptoError as error:
            _print_error(describe_crypto_error(error))
            raise typer.Exit(crypto_exit_code(error)) from error
        except client.KsefClientError as error:
            _print_error(describe_client_error(error))
            raise typer.Exit(client_exit_code(error)) from error
        except httpx.TransportError as error:
            _print_error(describe_transport_error(error))
            raise typer.Exit(ExitCode.UNAVAILABLE) from error

    return wrapper


def describe_client_error(error: client.KsefClientError) -> str:
    """A Polish sentence (or two) for a client error: what KSeF said and, where it helps, what to do next."""
    message = error.message
    if isinstance(error, client.KsefAuthError):
        return f"{message} Zaloguj się ponownie: ksef-mcu login."
    if isinstance(error, client.KsefForbiddenError) and error.reason_code:
        return f"{message} [powód: {error.reason_code}]"
    if isinstance(error, client.KsefRateLimitError):
        wait = f" za {error.retry_after:.0f} s" if error.retry_after is not None else " za chwilę"
        return f"{message} Przekroczono limit zapytań — spróbuj ponownie{wait}."
    if isinstance(error, client.KsefApiError) and not error.errors and error.body_excerpt:
        return f"{message} Odpowiedź: {error.body_excerpt[:200]}"
    return message


def describe_transport_error(error: httpx.TransportError) -> str:
    """A Polish sentence for a network failure, naming the server and, for a local one, how to start it."""
    try:
        url = error.request.url
    except RuntimeError:  # an error raised without a request
        return f"Błąd połączenia z KSeF: {error}"
    where = f"{url.scheme}://{url.netloc.decode('ascii', 'replace')}"
    if isinstance(error, httpx.TimeoutException):
        what = f"Serwer KSeF {where} nie odpowiedział na czas."
    else:
        what = f"Nie można połączyć się z serwerem KSeF {where} ({str(error) or type(error).__name__})."
    if url.host in ("127.0.0.1", "localhost", "::1"):
        what += " Czy serwer działa? Uruchom go: make run (albo ksef-mcu serve)."
    return what


def _print_error(message: str) -> None:
    error_console.print(f"[bold red]Błąd:[/] {escape(message)}")


_ATTRIBUTE_LABELS = {
    "2.5.4.3": "CN",
    "2.5.4.4": "SN",
    "2.5.4.5": "serialNumber",
    "2.5.4.6": "C",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.42": "GN",
    "2.5.4.45": "uniqueIdentifier",
    "2.5.4.97": "organizationIdentifier",
}


def format_name(name: x509.Name) -> str:
    """An X.500 name for people: attributes in DER order, `CN=…, SN=…, serialNumber=…`."""
    return ", ".join(
        f"{_ATTRIBUTE_LABELS.get(attribute.oid.dotted_string, attribute.rfc4514_attribute_name)}={attribute.value!s}"
        for attribute in name
    )


def _json_value(value: object) -> object:
    if isinstance(value, datetime.datetime):
        return iso_moment(value)
    return str(value)


def print_json(document: object) -> None:
    """`document` as indented JSON on stdout (for scripts); moments as ISO 8601 with their offset, Polish time."""
    typer.echo(json.dumps(document, ensure_ascii=False, indent=2, default=_json_value))


def print_rows(rows: list[tuple[str, str]]) -> None:
    """Print (label, value) rows as aligned `label  value` lines; values are rich markup and never wrapped."""
    width = max((len(label) for label, _ in rows), default=0)
    for label, value in rows:
        console.print(f"[bold]{escape(label)}[/]{' ' * (width - len(label) + 2)}{value}")


# --- reading ------------------------------------------------------------------------------------------------------


def read_input_file(path: Path, what: str) -> bytes:
    """The bytes of a file the user named; `what` names it in Polish messages (e.g. "pliku klucza")."""
    try:
        size = path.stat().st_size
        if path.is_dir():
            fail(f"Ścieżka {path} wskazuje katalog, a nie {what.removeprefix('pliku ')}.")
        if size > MAX_INPUT_BYTES:
            fail(f"Plik {path} jest za duży ({size} B; najwyżej {MAX_INPUT_BYTES} B).")
        return path.read_bytes()
    except FileNotFoundError:
        fail(f"Nie znaleziono {what}: {path}")
    except PermissionError:
        fail(f"Brak uprawnień do odczytu {what}: {path}")
    except OSError as error:
        fail(f"Nie można odczytać {what} {path}: {error.strerror or error}")


def read_password_file(path: Path) -> str:
    """The password in `path` (UTF-8); one trailing line break is not part of it."""
    data = read_input_file(path, "pliku z hasłem")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        fail(f"Plik z hasłem {path} nie jest tekstem UTF-8.")
    text = text.removesuffix("\n").removesuffix("\r")
    if not text:
        fail(f"Plik z hasłem {path} jest pusty.")
    return text


def password_rules() -> str:
    """The MCU password rule, shown before the first prompt."""
    return (
        f"Zasady hasła do klucza: od {passwords.PASSWORD_MIN_LENGTH} do {passwords.PASSWORD_MAX_LENGTH} znaków, w tym "
        f"wielka i mała litera, cyfra i znak specjalny spośród {passwords.PASSWORD_SPECIAL_CHARACTERS}. Zapamiętaj je "
        "— nie da się go odzyskać ani zresetować."
    )


PASSWORD_ATTEMPTS = 3


def read_secret(prompt: str) -> str:
    """A hidden answer to `prompt`: typed on a terminal without echo, or one line from a pipe or file.

    The prompt goes to stderr (stdout stays clean for results). Input from a pipe is read as it is, without Python's
    "password input may be echoed" warning, and the line the prompt started is ended. End of input cancels.
    """
    if sys.stdin.isatty():
        try:
            return getpass.getpass(f"{prompt}: ")
        except EOFError:
            fail("Nie podano hasła (koniec danych wejściowych).", ExitCode.CANCELLED)
    error_console.print(f"{escape(prompt)}: ", end="")
    line = sys.stdin.readline()
    error_console.print()
    if not line:
        fail("Nie podano hasła (koniec danych wejściowych).", ExitCode.CANCELLED)
    return line.removesuffix("\n").removesuffix("\r")


def ask_new_key_password(password_file: Path | None) -> str:
    """A new private-key password: from `password_file`, or asked twice (hidden) after showing the MCU rule; a weak
    password or a mismatch is asked again (up to `PASSWORD_ATTEMPTS` times)."""
    if password_file is not None:
        return passwords.check_key_password(read_password_file(password_file))
    error_console.print(password_rules())
    attempts = 0
    while True:
        attempts += 1
        password = read_secret("Hasło do klucza prywatnego")
        if failures := passwords.password_rule_failures(password):
            problem = crypto_errors.PasswordRuleError(failures).message
        elif read_secret("Powtórz hasło") == password:
            return password
        else:
            problem = "Hasła nie są zgodne."
        if attempts == PASSWORD_ATTEMPTS:
            fail(problem)
        error_console.print(f"[yellow]{escape(problem)}[/] Podaj hasło jeszcze raz.")


def ask_key_password(password_file: Path | None, prompt: str = "Hasło do klucza prywatnego") -> str:
    """The password of an existing key file: from `password_file`, or asked once (hidden)."""
    if password_file is not None:
        return read_password_file(password_file)
    return read_secret(prompt)


_YES = frozenset({"t", "tak", "y", "yes"})
_NO = frozenset({"", "n", "nie", "no"})


def confirm(question: str) -> bool:
    """Ask a yes/no question in Polish (`t`/`tak` or `n`/`nie`; `y`/`yes` also count); the default is no.

    End of input (e.g. a script without `--yes`) is no.
    """
    while True:
        try:
            answer = str(typer.prompt(f"{question} [t/N]", default="", show_default=False)).strip().lower()
        except typer.Abort:
            return False
        if answer in _YES:
            return True
        if answer in _NO:
            return False
        error_console.print("Odpowiedz „t” (tak) albo „n” (nie).")


def load_key_file(path: Path, password_file: Path | None = None) -> crypto_keys.PrivateKey:
    """Load a private key file, asking for its password only when the file is encrypted."""
    data = read_input_file(path, "pliku klucza")
    if password_file is not None:
        return crypto_keys.load_private_key(data, read_password_file(password_file))
    try:
        return crypto_keys.load_private_key(data)
    except crypto_errors.PasswordRequiredError:
        return crypto_keys.load_private_key(data, ask_key_password(None))


# --- writing ------------------------------------------------------------------------------------------------------


def check_new_file(path: Path, *, hint: str = "Usuń go, przenieś albo wskaż inną nazwę.") -> None:
    """Fail early, before any work, if `path` exists (we never overwrite unasked) or its directory cannot be one.

    A missing directory is fine: `ensure_directory` creates it when there is something to write (`--out` names a
    folder in every command, created when needed)."""
    if path.exists() or path.is_symlink():
        fail(f"Plik {path} już istnieje — nie nadpisuję go. {hint}")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                fail(f"{parent} nie jest katalogiem.", ExitCode.USAGE)
            return


def ensure_directory(directory: Path, *, private: bool = False) -> None:
    """Create `directory` (and its parents) if missing; mode 0700 when it will hold private keys."""
    if directory.is_dir():
        return
    try:
        directory.mkdir(parents=True, mode=0o700 if private else 0o777)
    except FileExistsError:
        if not directory.is_dir():
            fail(f"{directory} nie jest katalogiem.", ExitCode.USAGE)
    except PermissionError:
        fail(f"Brak uprawnień do utworzenia katalogu {directory}.")
    except OSError as error:
        fail(f"Nie można utworzyć katalogu {directory}: {error.strerror or error}")


def refuse_existing(path: Path) -> None:
    """Fail early, before any work, if `path` exists (we never overwrite) or its directory does not."""
    directory = path.parent if str(path.parent) else Path()
    if not directory.is_dir():
        fail(f"Katalog {directory} nie istnieje.")
    if path.exists() or path.is_symlink():
        fail(f"Plik {path} już istnieje — nie nadpisuję go. Usuń go, przenieś albo wskaż inną nazwę.")


def write_private_file_replacing(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically with mode 0600, replacing the file if it exists (the CLI's own state files,
    e.g. login profiles, never a user's document). Readers see the old file or the new one, never a mix."""
    directory = path.parent if str(path.parent) else Path()
    try:
        files.replace_file(path, data, mode=0o600)
    except PermissionError:
        fail(f"Brak uprawnień do zapisu w katalogu {directory}.")
    except OSError as error:
        fail(f"Nie można zapisać pliku {path}: {error.strerror or error}")


def write_new_file(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Write `data` to `path` atomically with permissions `mode`; fail if `path` already exists.

    `ksef_mcu.storage.files.write_new_file` does the writing: there is never a partial file at `path`, and an
    existing file is never replaced, even if it appears meanwhile.
    """
    directory = path.parent if str(path.parent) else Path()
    refuse_existing(path)
    try:
        files.write_new_file(path, data, mode=mode)
    except FileExistsError:
        fail(f"Plik {path} już istnieje — nie nadpisuję go.")
    except PermissionError:
        fail(f"Brak uprawnień do zapisu w katalogu {directory}.")
    except OSError as error:
        fail(f"Nie można zapisać pliku {path}: {error.strerror or error}")
