"""The frame around every command, in Polish: help pages, usage lines, usage errors, placeholders, option values.

Typer/Click write their frame in English ("Usage", "Options", "[required]", "Missing option …", `<str>`). The command
and group classes here render help and usage errors themselves, so the whole interface speaks one language: Polish,
or English with `--lang en` or an English locale (`KSEF_MCU_LANG`, `LANGUAGE`, `LC_ALL`, `LC_MESSAGES`, `LANG`).
Help is plain text wrapped to the terminal (or to `PIPED_WIDTH` columns when piped), so nothing is cut at 80 columns.
"""

from __future__ import annotations

import enum
import os
import re
import shutil
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar

import typer
from typer._click.core import Context, Parameter
from typer._click.exceptions import (
    BadOptionUsage,
    BadParameter,
    ClickException,
    MissingParameter,
    NoArgsIsHelpError,
    NoSuchOption,
    UsageError,
)
from typer._click.formatting import HelpFormatter
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption
from typer.exceptions import Abort

LANGUAGE_VARIABLES = ("KSEF_MCU_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
PIPED_WIDTH = 120
"""Help width when stdout is not a terminal (and `COLUMNS` is not set): wide enough that no line is squeezed."""
CANCELLED_EXIT_CODE = 5  # ExitCode.CANCELLED; kept literal here so the frame imports nothing heavy

_override: str | None = None


class Language(enum.StrEnum):
    POLISH = "pl"
    ENGLISH = "en"


def set_language(language: str | None) -> None:
    """Use `language` ("pl", "en") from now on; None: decide from the environment again."""
    global _override  # noqa: PLW0603 - one process, one interface language
    _override = None if language is None else parse_language(language).value


def parse_language(text: str) -> Language:
    """`--lang` value: pl/polski or en/english (any case); anything else is refused."""
    value = text.strip().lower()
    if value in ("pl", "polski", "polish"):
        return Language.POLISH
    if value in ("en", "english", "angielski"):
        return Language.ENGLISH
    raise PolishBadParameter(
        f"„{text}” — dozwolone: pl, en.",
        english=f"'{text}' — allowed: pl, en.",
    )


def current_language() -> Language:
    """`--lang` if given, else the first language variable that is set: English for `en*`, Polish otherwise."""
    if _override is not None:
        return Language(_override)
    for variable in LANGUAGE_VARIABLES:
        if value := os.environ.get(variable, "").strip():
            return Language.ENGLISH if value.lower().startswith("en") else Language.POLISH
    return Language.POLISH


def english() -> bool:
    return current_language() is Language.ENGLISH


# --- words of the frame -------------------------------------------------------------------------------------------

_WORDS: dict[str, tuple[str, str]] = {
    "usage": ("Użycie:", "Usage:"),
    "options": ("Opcje", "Options"),
    "arguments": ("Argumenty", "Arguments"),
    "commands": ("Polecenia", "Commands"),
    "options_metavar": ("[OPCJE]", "[OPTIONS]"),
    "command_metavar": ("POLECENIE [ARGUMENTY]...", "COMMAND [ARGS]..."),
    "help": ("Pokaż tę pomoc i zakończ.", "Show this help and exit."),
    "required_option": ("wymagana", "required"),
    "required_argument": ("wymagany", "required"),
    "default": ("domyślnie", "default"),
    "variable": ("zmienna", "env var"),
    "try_help": ("Pomoc: {command} -h", "Help: {command} -h"),
    "error": ("Błąd:", "Error:"),
    "aborted": ("Przerwano.", "Aborted."),
    "text": ("TEKST", "TEXT"),
    "number": ("LICZBA", "NUMBER"),
    "path": ("ŚCIEŻKA", "PATH"),
    "lang": (
        "Język: pl (domyślny) albo en; działa w każdym miejscu polecenia. Bez niej decyduje KSEF_MCU_LANG albo "
        "LANG=en*.",
        "Language: pl (the default) or en; works anywhere on the command line. Without it, KSEF_MCU_LANG or LANG=en* "
        "decides.",
    ),
}


_PLACEHOLDERS: dict[str, tuple[str, str]] = {
    # options, by their long name
    "--base-url": ("URL", "URL"),
    "--cert": ("PLIK.crt", "FILE.crt"),
    "--context-nip": ("NIP", "NIP"),
    "--context-value": ("ID", "ID"),
    "--data-dir": ("KATALOG", "DIR"),
    "--database-url": ("URL", "URL"),
    "--date": ("RRRR-MM-DD", "YYYY-MM-DD"),
    "--description": ("OPIS", "TEXT"),
    "--enrollment-data": ("PLIK.json", "FILE.json"),
    "--expires-after": ("RRRR-MM-DD", "YYYY-MM-DD"),
    "--fingerprint": ("ODCISK", "FINGERPRINT"),
    "--given-name": ("IMIĘ", "NAME"),
    "--hash": ("SKRÓT", "HASH"),
    "--host": ("ADRES", "ADDRESS"),
    "--internal-id": ("ID", "ID"),
    "--invoice": ("PLIK.xml", "FILE.xml"),
    "--key": ("PLIK.key", "FILE.key"),
    "--ksef-number": ("NUMER", "NUMBER"),
    "--log-level": ("info|warning|debug", "info|warning|debug"),
    "--max-certificates": ("LICZBA", "NUMBER"),
    "--max-enrollments": ("LICZBA", "NUMBER"),
    "--message": ("OPIS", "TEXT"),
    "--name": ("NAZWA", "NAME"),
    "--nip": ("NIP", "NIP"),
    "--nip-vat-ue": ("NIP-VAT-UE", "NIP-VAT-UE"),
    "--organization": ("FIRMA", "COMPANY"),
    "--out": ("KATALOG", "DIR"),
    "--output": ("PLIK", "FILE"),
    "--password-file": ("PLIK", "FILE"),
    "--pesel": ("PESEL", "PESEL"),
    "--peppol-id": ("ID", "ID"),
    "--pkcs12": ("PLIK.p12", "FILE.p12"),
    "--port": ("PORT", "PORT"),
    "--serial": ("NUMER", "SERIAL"),
    "--subunit": ("NIP[=OPIS]", "NIP[=TEXT]"),
    "--surname": ("NAZWISKO", "SURNAME"),
    "--valid-from": ("RRRR-MM-DD", "YYYY-MM-DD"),
    "--wait": ("SEKUNDY", "SECONDS"),
    "--workers": ("LICZBA", "NUMBER"),
    # arguments, by their parameter name
    "file": ("PLIK", "FILE"),
    "name": ("NAZWA", "NAME"),
    "nip": ("NIP", "NIP"),
    "reference_number": ("NUMER_REFERENCYJNY", "REFERENCE"),
    "serial": ("NUMER", "SERIAL"),
    "serials": ("NUMER", "SERIAL"),
}
"""Placeholders for values in help and usage (`--out KATALOG`, `NAZWA`) — never Typer's `<str>` or `{name}`."""


def word(key: str) -> str:
    """A word of the frame in the current language."""
    polish, english_text = _WORDS[key]
    return english_text if english() else polish


# --- option values --------------------------------------------------------------------------------------------------

V = TypeVar("V")


class PolishBadParameter(typer.BadParameter):
    """A bad option value whose message is already written for people (Polish, and English for `--lang en`)."""

    def __init__(self, message: str, *, english: str) -> None:
        super().__init__(message)
        self.english = english

    def text(self) -> str:
        return self.english if current_language() is Language.ENGLISH else self.message


class Choice(Generic[V]):
    """An option's allowed values: Polish spellings first (shown in help), other accepted spellings (English, no
    diacritics) after; any case. `parse` is the option's `parser`."""

    def __init__(self, spellings: Mapping[str, V], *, also: Mapping[str, V] | None = None) -> None:
        self.shown = tuple(spellings)
        self._values = {key.lower(): value for key, value in {**spellings, **(also or {})}.items()}

    @property
    def metavar(self) -> str:
        return "|".join(self.shown)

    def parse(self, text: str) -> V:
        value = self._values.get(str(text).strip().lower())
        if value is None:
            allowed = ", ".join(self.shown)
            raise PolishBadParameter(f"„{text}” — dozwolone: {allowed}.", english=f"'{text}' — allowed: {allowed}.")
        return value

    def name_of(self, value: V) -> str:
        """The shown (Polish) spelling of `value`, for suggested commands."""
        return next(key for key in self.shown if self._values[key.lower()] == value)


# --- help -----------------------------------------------------------------------------------------------------------


def translate_help(text: str) -> str:
    """A command's or option's help text in the interface's language (`_english.HELP` for English)."""
    if not english():
        return text
    from ksef_mcu.cli._english import HELP, help_key  # noqa: PLC0415 - only the English interface needs it

    return HELP.get(help_key(text), text)


def help_width() -> int:
    """`COLUMNS` if set, else the terminal's width, else `PIPED_WIDTH` (help piped to a file or `less`)."""
    if columns := os.environ.get("COLUMNS", "").strip():
        try:
            return max(int(columns), 40)
        except ValueError:
            pass
    if sys.stdout.isatty():
        return max(shutil.get_terminal_size().columns, 40)
    return PIPED_WIDTH


def _placeholder(key: str) -> str | None:
    if (pair := _PLACEHOLDERS.get(key)) is None:
        return None
    return pair[1] if english() else pair[0]


def _metavar(param: Parameter) -> str:
    if param.metavar is not None:
        return param.metavar
    for name in (*param.opts, param.name or ""):
        if name.startswith("--") and (placeholder := _placeholder(name)) is not None:
            return placeholder
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is not None:
        if descriptor.is_choice:
            return "|".join(str(getattr(choice, "value", choice)) for choice in descriptor.choices or ())
        if descriptor.is_path:
            return word("path")
        annotation = descriptor.annotation
        if getattr(annotation, "__origin__", None) is list:
            (annotation,) = annotation.__args__
        if annotation in (int, float):
            return word("number")
    return word("text")


def _argument_name(param: Parameter) -> str:
    if param.metavar is not None:
        return param.metavar
    return _placeholder(param.name or "") or (param.name or "").upper()


def _argument_piece(param: TyperArgument) -> str:
    name = _argument_name(param)
    if param.nargs == -1:
        name += "..."
    return name if param.required else f"[{name}]"


def usage_line(command: Any, ctx: Context) -> str:
    pieces = [word("options_metavar")]
    pieces += [_argument_piece(param) for param in command.get_params(ctx) if isinstance(param, TyperArgument)]
    if isinstance(command, TyperGroup):
        pieces.append(word("command_metavar"))
    return f"{word('usage')} {ctx.command_path} {' '.join(pieces)}"


def _default_text(param: Parameter) -> str | None:
    if getattr(param, "show_default", True) is False or param.required:
        return None
    default = param.default
    if default is None or (isinstance(default, bool) and not default) or getattr(param, "is_flag", False):
        return None
    if isinstance(default, enum.Enum):
        default = default.value
    if isinstance(default, (list, tuple)):
        return None
    return str(default)


def _range_text(param: Parameter) -> str | None:
    low, high = getattr(param, "min", None), getattr(param, "max", None)
    if low is None and high is None:
        return None
    if low is not None and high is not None:
        return f"{low}–{high}"
    if low is not None:
        return f"≥ {low}"
    return f"≤ {high}"


def _help_text(param: Parameter, ctx: Context) -> str:
    if param.name == "help" and getattr(param, "is_eager", False):
        return word("help")
    text = translate_help(getattr(param, "help", None) or "")
    extras = []
    if (value_range := _range_text(param)) is not None:
        extras.append(value_range)
    if param.envvar and getattr(param, "show_envvar", True) is not False:
        variables = [param.envvar] if isinstance(param.envvar, str) else list(param.envvar)
        extras.append(f"{word('variable')}: {', '.join(variables)}")
    if (default := _default_text(param)) is not None:
        extras.append(f"{word('default')}: {default}")
    if param.required:
        extras.append(word("required_option" if isinstance(param, TyperOption) else "required_argument"))
    if extras:
        text = f"{text} [{'; '.join(extras)}]".strip()
    return text


def _option_label(param: TyperOption) -> str:
    names = ", ".join(sorted(param.opts, key=len))
    if param.secondary_opts:
        names += " / " + ", ".join(param.secondary_opts)
    if param.is_flag or param.count:
        return names
    return f"{names} {_metavar(param)}"


def _short_help(command: Any) -> str:
    text = translate_help(command.short_help or command.help or "")
    first = re.split(r"\n\s*\n", text.strip(), maxsplit=1)[0]
    return " ".join(first.split())


def render_help(command: Any, ctx: Context, formatter: HelpFormatter) -> None:
    """The help page of `command`: usage, description, arguments, options and (for a group) its commands."""
    formatter.width = help_width()
    formatter.write(usage_line(command, ctx) + "\n")
    if command.help:
        formatter.write_paragraph()
        with formatter.indentation():
            formatter.write_text(translate_help(command.help))
    params = [param for param in command.get_params(ctx) if not getattr(param, "hidden", False)]
    arguments = [(_argument_name(p), _help_text(p, ctx)) for p in params if isinstance(p, TyperArgument)]
    options = [(_option_label(p), _help_text(p, ctx)) for p in params if isinstance(p, TyperOption)]
    if ctx.parent is None:
        # `--lang` is taken off the command line before parsing (it works anywhere), so it is no real option.
        options.insert(-1, ("--lang pl|en", word("lang")))
    for title, rows in ((word("arguments"), arguments), (word("options"), options)):
        if rows:
            with formatter.section(title):
                formatter.write_dl(rows, col_max=36)
    if isinstance(command, TyperGroup):
        rows = []
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                rows.append((name, _short_help(sub)))
        if rows:
            with formatter.section(word("commands")):
                formatter.write_dl(rows, col_max=24)


# --- usage errors ---------------------------------------------------------------------------------------------------


def _param_name(param: Parameter | None, hint: Sequence[str] | str | None = None) -> str:
    if hint:
        return hint if isinstance(hint, str) else " / ".join(hint)
    if param is None:
        return ""
    if isinstance(param, TyperOption):
        return max(param.opts, key=len)
    return _argument_name(param)


def _expected(param: Parameter | None) -> tuple[str, str]:
    """What the parameter takes, (Polish, English), from its type: a number, a range, a choice."""
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is None or param is None:
        return "", ""
    value_range = _range_text(param)
    annotation = descriptor.annotation
    if annotation is int:
        polish, english_text = "liczby całkowitej", "a whole number"
    elif annotation is float:
        polish, english_text = "liczby", "a number"
    elif descriptor.is_choice:
        allowed = ", ".join(str(getattr(choice, "value", choice)) for choice in descriptor.choices or ())
        return f"dozwolone: {allowed}", f"allowed: {allowed}"
    else:
        return "", ""
    if value_range is not None:
        return f"oczekiwano {polish} {value_range}", f"expected {english_text} {value_range}"
    return f"oczekiwano {polish}", f"expected {english_text}"


_EXTRA_ARGUMENTS = re.compile(r"Got unexpected extra argument(?:s|\(s\))? \((?P<extra>.*)\)", re.DOTALL)
_NO_SUCH_COMMAND = re.compile(r"No such command '(?P<name>[^']*)'\.?(?: Did you mean (?P<maybe>.*)\?)?")


def _pick(polish: str, english_text: str) -> str:
    return english_text if english() else polish


def describe_usage_error(error: UsageError) -> str:
    """A usage error as one sentence in the current language, built from what the error knows (not its English)."""
    if isinstance(error, MissingParameter):
        name = _param_name(error.param, error.param_hint)
        polish_extra, english_extra = _expected(error.param)
        if isinstance(error.param, TyperOption) or error.param_type == "option":
            text = _pick(f"Brak wymaganej opcji {name}", f"Missing option {name}")
        else:
            text = _pick(f"Brak argumentu {name}", f"Missing argument {name}")
        if error.param is not None and error.param.metavar and "|" in error.param.metavar:
            allowed = ", ".join(error.param.metavar.split("|"))
            polish_extra, english_extra = f"dozwolone: {allowed}", f"allowed: {allowed}"
        extra = _pick(polish_extra, english_extra)
        return f"{text} ({extra})." if extra else f"{text}."
    if isinstance(error, BadParameter):
        name = _param_name(error.param, error.param_hint)
        if isinstance(error, PolishBadParameter):
            detail = error.text()
        else:
            detail = _pick(*_expected(error.param)) or error.message
        detail = detail if detail.endswith((".", "?")) else detail + "."
        if isinstance(error.param, TyperArgument):
            return _pick(f"Nieprawidłowa wartość argumentu {name}: {detail}", f"Invalid value for {name}: {detail}")
        if name:
            return _pick(f"Nieprawidłowa wartość opcji {name}: {detail}", f"Invalid value for {name}: {detail}")
        return _pick(f"Nieprawidłowa wartość: {detail}", f"Invalid value: {detail}")
    if isinstance(error, NoSuchOption):
        text = _pick(f"Nieznana opcja {error.option_name}", f"No such option {error.option_name}")
        if error.possibilities:
            maybe = ", ".join(sorted(error.possibilities))
            text += _pick(f" — czy chodziło o {maybe}?", f" — did you mean {maybe}?")
        return text if text.endswith("?") else text + "."
    if isinstance(error, BadOptionUsage):
        if "requires an argument" in error.message:
            return _pick(f"Opcja {error.option_name} wymaga wartości.", f"Option {error.option_name} needs a value.")
        if "does not take a value" in error.message:
            return _pick(
                f"Opcja {error.option_name} nie przyjmuje wartości.", f"Option {error.option_name} takes no value."
            )
    if match := _EXTRA_ARGUMENTS.fullmatch(error.message):
        extra = match["extra"]
        return _pick(f"Nieoczekiwane dodatkowe argumenty: {extra}.", f"Unexpected extra arguments: {extra}.")
    if match := _NO_SUCH_COMMAND.fullmatch(error.message):
        text = _pick(f"Nie ma polecenia „{match['name']}”", f"No such command '{match['name']}'")
        if match["maybe"]:
            maybe = re.sub(r"'([^']*)'", r"\1", match["maybe"])
            return text + _pick(f" — czy chodziło o {maybe}?", f" — did you mean {maybe}?")
        return text + "."
    if error.message == "Missing command.":
        return _pick("Brak polecenia.", "Missing command.")
    return error.message


def show_usage_error(error: UsageError) -> None:
    """Usage line, where to find help, and the error — on stderr, like Click, but in the interface's language."""
    lines = []
    if error.ctx is not None:
        lines.append(usage_line(error.ctx.command, error.ctx))
        lines.append(word("try_help").format(command=error.ctx.command_path))
    lines.append(f"{word('error')} {describe_usage_error(error)}")
    typer.echo("\n".join(lines), err=True)


# --- the command classes ----------------------------------------------------------------------------------------------


class _HelpFlag(TyperOption):
    """The `-h`/`--help` flag without Typer's value coercion: a flag is a bool, and coercing it would import pydantic
    (a fifth of the start-up time) in every command, even one that only shows its help."""

    def process_value(self, ctx: Context, value: Any) -> Any:
        value = bool(value)
        if self.callback is not None:
            value = self.callback(ctx, self, value)
        return value


def _cheap_help_option(option: TyperOption | None) -> TyperOption | None:
    if option is not None and type(option) is TyperOption:
        option.__class__ = _HelpFlag
    return option


class _RenderedHere:
    """Help, usage and the help flag of a command or group, rendered by this module."""

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        render_help(self, ctx, formatter)

    def get_usage(self, ctx: Context) -> str:
        return usage_line(self, ctx)

    def get_help_option(self, ctx: Context) -> TyperOption | None:
        return _cheap_help_option(super().get_help_option(ctx))  # type: ignore[misc]


class PolishCommand(_RenderedHere, TyperCommand):
    """A command whose help and usage are rendered by this module."""


class PolishGroup(_RenderedHere, TyperGroup):
    """A group whose help and usage are rendered by this module; the top-level group also renders usage errors."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            arguments = _language_from(list(sys.argv[1:] if args is None else args))
            result = super().main(arguments, prog_name, complete_var, standalone_mode=False, **extra)
        except NoArgsIsHelpError as error:
            if not standalone_mode:
                raise
            typer.echo(error.format_message(), err=True)
            sys.exit(error.exit_code)
        except UsageError as error:
            if not standalone_mode:
                raise
            show_usage_error(error)
            sys.exit(error.exit_code)
        except ClickException as error:
            if not standalone_mode:
                raise
            typer.echo(f"{word('error')} {error.format_message()}", err=True)
            sys.exit(error.exit_code)
        except Abort:
            if not standalone_mode:
                raise
            typer.echo(word("aborted"), err=True)
            sys.exit(CANCELLED_EXIT_CODE)
        finally:
            set_language(None)
        if not standalone_mode:
            return result
        sys.exit(result if isinstance(result, int) else 0)


def _language_from(arguments: list[str]) -> list[str]:
    """Apply `--lang X` / `--lang=X` (anywhere before `--`, so also after a command) before anything is parsed or
    shown; the arguments without it. An unknown language is a usage error."""
    rest: list[str] = []
    index = 0
    while index < len(arguments):
        argument = arguments[index]
        if argument == "--":
            rest += arguments[index:]
            break
        value: str | None = None
        if argument == "--lang" and index + 1 < len(arguments):
            value, index = arguments[index + 1], index + 2
        elif argument.startswith("--lang="):
            value, index = argument.partition("=")[2], index + 1
        else:
            rest.append(argument)
            index += 1
            continue
        try:
            set_language(value)
        except PolishBadParameter as error:
            raise BadParameter(error.message, param_hint="--lang") from error
    return rest


CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}


def new_group(name: str | None, help: str, *, hidden: bool = False) -> typer.Typer:
    """A command group rendered by this module (help on `-h`/`--help`, shown when called without a command)."""
    return typer.Typer(
        name=name,
        help=help,
        cls=PolishGroup,
        no_args_is_help=True,
        rich_markup_mode=None,
        context_settings=CONTEXT_SETTINGS,
        pretty_exceptions_enable=False,
        add_completion=False,
        hidden=hidden,
    )


def add_command(group: typer.Typer, name: str, function: Callable[..., Any], *, hidden: bool = False) -> None:
    """Register `function` as the command `name` of `group` (help and usage rendered by this module)."""
    group.command(name, cls=PolishCommand, hidden=hidden, context_settings=CONTEXT_SETTINGS)(function)
