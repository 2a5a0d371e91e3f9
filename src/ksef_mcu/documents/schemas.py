"""Full XSD validation of FA(2)/FA(3) invoices against the official schemas, resolved locally, never fetched.

The schemas are not part of this repository (they are the Ministry's files). At run time they are looked up, for each
form separately, in this order:

1. `KSEF_MCU_SCHEMAS_DIR` (or a directory the application passes in): a directory holding `schemat_FA(3)_v1-0E.xsd`,
   `schemat_FA(2)_v1-0E.xsd` and the three base schemas, flat or laid out like the documentation's `faktury/schemy`
   (found up to four levels deep). When it is set, nothing else is consulted: a missing file is an error, not a
   reason to look elsewhere.
2. The official documentation snapshot for development: `shared/ksef-docs/faktury/schemy/FA` beside an ancestor of
   the working directory or of this package (or under `KSEF_MCU_SHARED_DIR`). This has FA(2) and FA(3).
3. The FA(3) schemas that the MIT-licensed `ksef-client` package ships (`ksef_client/documents/fa3/schemas/`), when it
   is installed (it is a development dependency). FA(3) only.

A form whose schemas are not found cannot be validated: `FaSchemaValidator.validate` raises `SchemaUnavailableError`
saying where it looked and what to set — it never passes an invoice unchecked.

The FA XSDs import the base schemas by their `http://crd.gov.pl/...` URLs and include each other by relative names.
The schema set is read once and staged, flat, in a private temporary directory with every `schemaLocation` rewritten
to the local file's name (a reference to anything outside the set is refused), so libxml2 loads each import from
that directory whatever document loader is installed: lxml swaps the process-wide loader in and out around every
parse, and a custom resolver used while compiling was silently bypassed whenever another thread parsed XML at that
moment (the import was skipped: "The QName value 'TDataCzas' does not resolve…"). Each schema is compiled once per
form and kept; as an
lxml `XMLSchema` object must not validate in two threads at once (its error log is shared), concurrent callers each
take a compiled copy from a small pool (a copy is compiled only when all are busy, ~10 ms), so the validator is safe to
share between threads and never serializes them.
"""

from __future__ import annotations

import atexit
import enum
import importlib.util
import os
import queue
import re
import shutil
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, cast

from lxml import etree

from ksef_mcu.crypto.errors import XadesError
from ksef_mcu.crypto.xades._xml import parse_document
from ksef_mcu.documents.errors import InvoiceError, InvoiceRejection, SchemaUnavailableError
from ksef_mcu.documents.forms import BASE_SCHEMA_NAMES, INVOICE_FORMS, InvoiceForm

SCHEMAS_DIR_VARIABLE: Final = "KSEF_MCU_SCHEMAS_DIR"
SHARED_DIR_VARIABLE: Final = "KSEF_MCU_SHARED_DIR"
DOCS_SCHEMAS_PATH: Final = Path("ksef-docs", "faktury", "schemy", "FA")
KSEF_CLIENT_SCHEMAS_PATH: Final = Path("documents", "fa3", "schemas")
MAX_REPORTED_ERRORS: Final = 5
_SEARCH_DEPTH = 4
_NAMESPACE_IN_MESSAGE = re.compile(r"\{[^}]*\}")


class SchemaOrigin(enum.StrEnum):
    """Where a schema set was found (a label for messages and logs)."""

    SETTING = SCHEMAS_DIR_VARIABLE
    DOCS = "ksef-docs"
    KSEF_CLIENT = "ksef-client"


@dataclass(frozen=True, slots=True)
class SchemaSource:
    """The files of one form's schema set: the main XSD and the base schemas, by file name."""

    form: InvoiceForm
    files: Mapping[str, Path]
    origin: SchemaOrigin

    @property
    def main(self) -> Path:
        """The form's own XSD."""
        return self.files[self.form.xsd_name]


def _required_names(form: InvoiceForm) -> tuple[str, ...]:
    return (form.xsd_name, *BASE_SCHEMA_NAMES)


def _walk(directory: Path, depth: int) -> Iterator[Path]:
    try:
        entries = sorted(directory.iterdir())
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_file():
            yield entry
        elif depth > 0 and entry.is_dir():
            yield from _walk(entry, depth - 1)


def _collect(directory: Path, names: Iterable[str]) -> dict[str, Path]:
    """The first file of each wanted name found under `directory` (breadth-limited, shallowest wins)."""
    wanted = set(names)
    found: dict[str, Path] = {}
    for depth in range(_SEARCH_DEPTH + 1):
        for path in _walk(directory, depth):
            if path.name in wanted and path.name not in found:
                found[path.name] = path
        if wanted <= found.keys():
            break
    return found


def _source_in(directory: Path, form: InvoiceForm, origin: SchemaOrigin) -> SchemaSource | None:
    files = _collect(directory, _required_names(form))
    if all(name in files for name in _required_names(form)):
        return SchemaSource(form, {name: files[name] for name in _required_names(form)}, origin)
    return None


def _docs_directories(environ: Mapping[str, str], search_from: Iterable[Path]) -> list[Path]:
    directories = []
    if shared := environ.get(SHARED_DIR_VARIABLE):
        directories.append(Path(shared) / DOCS_SCHEMAS_PATH)
    for start in search_from:
        for ancestor in (start, *start.parents):
            candidate = ancestor / "shared" / DOCS_SCHEMAS_PATH
            if candidate.is_dir():
                directories.append(candidate)
                break
    return directories


def _ksef_client_directory() -> Path | None:
    try:
        spec = importlib.util.find_spec("ksef_client")  # locates the package without importing it
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / KSEF_CLIENT_SCHEMAS_PATH
        if candidate.is_dir():
            return candidate
    return None


def find_schema_sources(
    directory: Path | str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    search_from: Iterable[Path] | None = None,
    use_ksef_client: bool = True,
) -> dict[InvoiceForm, SchemaSource]:
    """Find the schema set of every form that has one (see the module docstring for the order).

    `directory` overrides `KSEF_MCU_SCHEMAS_DIR` from `environ` (default `os.environ`); either one, when given, is the
    only place searched. `search_from` are the starting points of the development search (default: the working
    directory and this package's directory). Reads directory listings only, not the files.
    """
    environ = os.environ if environ is None else environ
    configured = directory if directory is not None else environ.get(SCHEMAS_DIR_VARIABLE)
    if configured:
        root = Path(configured)
        return {
            form: source
            for form in INVOICE_FORMS
            if (source := _source_in(root, form, SchemaOrigin.SETTING)) is not None
        }
    starts = list(search_from) if search_from is not None else [Path.cwd(), Path(__file__).resolve().parent]
    candidates = [(path, SchemaOrigin.DOCS) for path in _docs_directories(environ, starts)]
    if use_ksef_client and (packaged := _ksef_client_directory()) is not None:
        candidates.append((packaged, SchemaOrigin.KSEF_CLIENT))
    sources: dict[InvoiceForm, SchemaSource] = {}
    for form in INVOICE_FORMS:
        for path, origin in candidates:
            if (source := _source_in(path, form, origin)) is not None:
                sources[form] = source
                break
    return sources


_XSD = "{http://www.w3.org/2001/XMLSchema}"
_REFERENCES = (f"{_XSD}import", f"{_XSD}include", f"{_XSD}redefine")


_MAX_SCHEMA_BYTES = 10_000_000
"""Far above the official files (the largest, FA (3), has ~200 kB)."""


def localize_schema(name: str, content: bytes, names: Iterable[str]) -> bytes:
    """`content` (the schema file `name`) with every import/include/redefine `schemaLocation` replaced by the bare file
    name of that schema in the set `names`. Raises `SchemaUnavailableError` for a reference outside the set (nothing
    outside it is ever loaded) or a file that is not XML (read with the hardened parser: no DTD, no entities)."""
    available = set(names)
    try:
        tree = parse_document(content, max_bytes=_MAX_SCHEMA_BYTES)
    except XadesError as error:
        raise SchemaUnavailableError(f"Plik schematu {name} nie jest poprawnym XML: {error.message}") from None
    for reference in tree.iter(*_REFERENCES):
        location = reference.get("schemaLocation")
        if location is None:
            continue
        local = location.replace("\\", "/").rsplit("/", 1)[-1]
        if local not in available:
            raise SchemaUnavailableError(
                f"Schemat {name} odwołuje się do {location}, spoza lokalnego zestawu schematów; nie jest on pobierany."
            )
        reference.set("schemaLocation", local)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


_COMPILE_LOCK = threading.Lock()
"""Compiling is rare (once per pooled copy), so one at a time: cheap insurance against libxml2's process-wide state;
validating with the compiled copies stays parallel."""


class _CompiledForm:
    """One form's schema set, read once, and a pool of compiled validators."""

    def __init__(self, source: SchemaSource) -> None:
        self.source = source
        self._staged: Path | None = None
        self._pool: queue.SimpleQueue[etree.XMLSchema] = queue.SimpleQueue()
        self._stage_lock = threading.Lock()

    def _read(self) -> dict[str, bytes]:
        contents = {}
        for name, path in self.source.files.items():
            try:
                contents[name] = path.read_bytes()
            except OSError as error:
                raise SchemaUnavailableError(
                    f"Nie można odczytać schematu {name} ({path}): {error.strerror or error}."
                ) from None
        return contents

    def staged_main(self) -> Path:
        """The main schema of the staged copy (written on first use, once per form and process; removed at exit)."""
        with self._stage_lock:
            if self._staged is None:
                contents = self._read()
                try:
                    localized = {name: localize_schema(name, data, contents) for name, data in contents.items()}
                except SchemaUnavailableError as error:
                    raise SchemaUnavailableError(
                        f"Schematu {self.source.form.label} (źródło: {self.source.origin}) nie można użyć: "
                        f"{error.message}"
                    ) from None
                directory = Path(tempfile.mkdtemp(prefix="ksef-mcu-xsd-"))
                atexit.register(shutil.rmtree, directory, ignore_errors=True)
                for name, data in localized.items():
                    (directory / name).write_bytes(data)
                self._staged = directory
            return self._staged / self.source.main.name

    def compile(self) -> etree.XMLSchema:
        with _COMPILE_LOCK:
            return self._compile()

    def _compile(self) -> etree.XMLSchema:
        staged = self.staged_main()
        main = self.source.main
        try:
            # libxml2 reads the staged files itself: they hold no DTD (refused when staged) and only local imports.
            return etree.XMLSchema(file=str(staged))
        except (etree.XMLSyntaxError, etree.XMLSchemaParseError) as error:
            raise SchemaUnavailableError(
                f"Schematu {self.source.form.label} ({main}, źródło: {self.source.origin}) nie można skompilować: "
                f"{_NAMESPACE_IN_MESSAGE.sub('', str(error))}"
            ) from None

    @contextmanager
    def borrow(self) -> Iterator[etree.XMLSchema]:
        try:
            schema = self._pool.get_nowait()
        except queue.Empty:
            schema = self.compile()
        try:
            yield schema
        finally:
            self._pool.put(schema)


class FaSchemaValidator:
    """Validates invoices against the official FA(2)/FA(3) XSDs; share one per process (thread-safe).

    Build it from `find_schema_sources(...)` (the default) or from explicit sources. Nothing is read or compiled
    until the first validation of a form (or `preload()`).
    """

    def __init__(self, sources: Mapping[InvoiceForm, SchemaSource] | None = None) -> None:
        self._sources = dict(find_schema_sources() if sources is None else sources)
        self._compiled = {form: _CompiledForm(source) for form, source in self._sources.items()}

    @property
    def sources(self) -> Mapping[InvoiceForm, SchemaSource]:
        """The schema set in use for each available form."""
        return dict(self._sources)

    def available(self, form: InvoiceForm) -> bool:
        """Whether this form can be validated."""
        return form in self._compiled

    def _compiled_form(self, form: InvoiceForm) -> _CompiledForm:
        compiled = self._compiled.get(form)
        if compiled is None:
            raise SchemaUnavailableError(
                f"Brak schematu XSD dla {form.label} ({form.xsd_name} i schematów bazowych "
                f"{', '.join(BASE_SCHEMA_NAMES)}), więc faktury nie można zweryfikować. "
                f"Ustaw {SCHEMAS_DIR_VARIABLE} na katalog z tymi plikami (np. faktury/schemy z dokumentacji KSeF)"
                + (" albo zainstaluj pakiet ksef-client." if form.variant == 3 else ".")
            )
        return compiled

    def preload(self) -> None:
        """Read and compile every available schema now (at start-up), so that the first invoice does not wait and a
        broken schema directory is reported at once. Raises `SchemaUnavailableError`."""
        for compiled in self._compiled.values():
            with compiled.borrow():
                pass

    def validate(self, document: etree._ElementTree | etree._Element, form: InvoiceForm) -> None:
        """Validate a parsed invoice against `form`'s XSD.

        Raises `InvoiceError` (SCHEMA_INVALID, status 450) listing up to `MAX_REPORTED_ERRORS` validator messages
        with their line numbers, and `SchemaUnavailableError` when the form's schemas are not available.
        """
        compiled = self._compiled_form(form)
        with compiled.borrow() as schema:
            if schema.validate(document):
                return
            entries = list(cast("Iterable[Any]", schema.error_log))  # lxml-stubs do not type the error log
            errors = [
                f"Wiersz {entry.line}: {_NAMESPACE_IN_MESSAGE.sub('', entry.message)}"
                for entry in entries[:MAX_REPORTED_ERRORS]
            ]
        raise InvoiceError(
            InvoiceRejection.SCHEMA_INVALID,
            [f"Faktura nie jest zgodna ze schematem {form.label} ({form.xsd_name}).", *errors],
        )


_default_lock = threading.Lock()
_default: FaSchemaValidator | None = None


def default_validator() -> FaSchemaValidator:
    """A process-wide validator built from `find_schema_sources()` on first use (environment read once)."""
    global _default  # noqa: PLW0603 - one lazily built validator per process
    with _default_lock:
        if _default is None:
            _default = FaSchemaValidator()
        return _default
