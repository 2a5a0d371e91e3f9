"""Where the FA XSDs come from, that they are never fetched, compiled once, shared safely between threads, and that
our validator judges invoices as ksef-client's does."""

from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from lxml import etree

from ksef_mcu.crypto.xades import parse_document
from ksef_mcu.documents import schemas as schemas_module
from ksef_mcu.documents.errors import InvoiceError, InvoiceRejection, SchemaUnavailableError
from ksef_mcu.documents.forms import BASE_SCHEMA_NAMES, FA2, FA3
from ksef_mcu.documents.invoices import read_invoice
from ksef_mcu.documents.schemas import (
    FaSchemaValidator,
    SchemaOrigin,
    default_validator,
    find_schema_sources,
)

from .samples import FA2_INVOICE, FA3_INVOICE, invoice_xml


def _fa_dir(ksef_docs: Path) -> Path:
    return ksef_docs / "faktury" / "schemy" / "FA"


def _copy_flat(ksef_docs: Path, target: Path, *, skip: str | None = None) -> Path:
    """A flat schema directory in a temporary folder (copied for the test only; the repository never holds them)."""
    target.mkdir(parents=True, exist_ok=True)
    for path in _fa_dir(ksef_docs).rglob("*.xsd"):
        if path.name != skip:
            shutil.copyfile(path, target / path.name)
    return target


# --- discovery --------------------------------------------------------------------------------------------------------


def test_docs_snapshot_is_found_from_the_working_tree(ksef_docs: Path) -> None:
    sources = find_schema_sources(environ={}, search_from=[Path(__file__).resolve().parent])
    assert set(sources) == {FA2, FA3}
    for form, source in sources.items():
        assert source.origin is SchemaOrigin.DOCS
        assert source.main == _fa_dir(ksef_docs) / form.xsd_name
        assert set(source.files) == {form.xsd_name, *BASE_SCHEMA_NAMES}


def test_shared_dir_variable_points_at_the_snapshot(ksef_docs: Path) -> None:
    sources = find_schema_sources(environ={"KSEF_MCU_SHARED_DIR": str(ksef_docs.parent)}, search_from=[])
    assert {source.origin for source in sources.values()} == {SchemaOrigin.DOCS}
    assert set(sources) == {FA2, FA3}


def test_setting_wins_and_finds_flat_or_nested_layouts(ksef_docs: Path, tmp_path: Path) -> None:
    flat = _copy_flat(ksef_docs, tmp_path / "flat")
    sources = find_schema_sources(environ={"KSEF_MCU_SCHEMAS_DIR": str(flat)})
    assert set(sources) == {FA2, FA3}
    assert {source.origin for source in sources.values()} == {SchemaOrigin.SETTING}
    assert sources[FA3].main == flat / FA3.xsd_name
    nested = find_schema_sources(ksef_docs / "faktury")  # the documentation's own layout, two levels down
    assert nested[FA2].main == _fa_dir(ksef_docs) / FA2.xsd_name
    validator = FaSchemaValidator(sources)
    assert read_invoice(FA2_INVOICE, schemas=validator).form == FA2


def test_setting_with_a_missing_file_does_not_fall_back(ksef_docs: Path, tmp_path: Path) -> None:
    directory = _copy_flat(ksef_docs, tmp_path / "partial", skip="KodyKrajow_v10-0E.xsd")
    sources = find_schema_sources(directory, search_from=[Path(__file__).resolve().parent])
    assert sources == {}  # the snapshot next door is not consulted when a directory is configured
    with pytest.raises(SchemaUnavailableError) as caught:
        FaSchemaValidator(sources).validate(parse_document(FA3_INVOICE), FA3)
    message = caught.value.message
    assert "KSEF_MCU_SCHEMAS_DIR" in message
    assert "KodyKrajow_v10-0E.xsd" in message
    assert "ksef-client" in message


def test_ksef_client_package_provides_fa3_only() -> None:
    pytest.importorskip("ksef_client", reason="the dev extra ksef-client is not installed")
    sources = find_schema_sources(environ={}, search_from=[])
    assert set(sources) == {FA3}
    assert sources[FA3].origin is SchemaOrigin.KSEF_CLIENT
    validator = FaSchemaValidator(sources)
    assert read_invoice(FA3_INVOICE, schemas=validator).form == FA3
    with pytest.raises(SchemaUnavailableError, match=r"FA \(2\)"):
        read_invoice(FA2_INVOICE, schemas=validator)


def test_nothing_found_means_no_forms() -> None:
    assert find_schema_sources(environ={}, search_from=[], use_ksef_client=False) == {}
    validator = FaSchemaValidator({})
    assert not validator.available(FA3)
    validator.preload()  # nothing to compile
    with pytest.raises(SchemaUnavailableError, match="KSEF_MCU_SCHEMAS_DIR"):
        validator.validate(parse_document(FA3_INVOICE), FA3)


def test_default_validator_is_one_per_process() -> None:
    assert default_validator() is default_validator()


# --- never fetched ----------------------------------------------------------------------------------------------------


@pytest.fixture
def listener() -> Iterator[tuple[int, list[socket.socket]]]:
    """A TCP port that records every connection (none must arrive)."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.05)
    accepted: list[socket.socket] = []
    yield server.getsockname()[1], accepted
    while True:
        try:
            connection, _ = server.accept()
        except OSError:
            break
        accepted.append(connection)
        connection.close()
    server.close()
    assert accepted == []


def test_crd_urls_are_resolved_locally_even_when_pointing_at_a_live_server(
    ksef_docs: Path, tmp_path: Path, listener: tuple[int, list[socket.socket]]
) -> None:
    port, accepted = listener
    directory = _copy_flat(ksef_docs, tmp_path / "schemas")
    main = directory / FA3.xsd_name
    text = main.read_text(encoding="utf-8")
    assert "http://crd.gov.pl/xml/schematy/dziedzinowe/mf/2022/01/05/eD/DefinicjeTypy/StrukturyDanych" in text
    located = text.replace('schemaLocation="http://crd.gov.pl/', f'schemaLocation="http://127.0.0.1:{port}/')
    assert located != text
    main.write_text(located, encoding="utf-8")
    validator = FaSchemaValidator(find_schema_sources(directory))
    validator.preload()
    assert read_invoice(FA3_INVOICE, schemas=validator).form == FA3
    assert accepted == []


def test_a_reference_outside_the_schema_set_is_refused_without_fetching(
    ksef_docs: Path, tmp_path: Path, listener: tuple[int, list[socket.socket]]
) -> None:
    port, accepted = listener
    directory = _copy_flat(ksef_docs, tmp_path / "schemas")
    main = directory / FA3.xsd_name
    text = main.read_text(encoding="utf-8")
    import_line = f'<xsd:import namespace="urn:evil" schemaLocation="http://127.0.0.1:{port}/evil.xsd"/>'
    main.write_text(text.replace("<xsd:simpleType", import_line + "<xsd:simpleType", 1), encoding="utf-8")
    validator = FaSchemaValidator(find_schema_sources(directory))
    with pytest.raises(SchemaUnavailableError) as caught:
        validator.preload()
    assert "evil.xsd" in caught.value.message
    assert accepted == []


def test_broken_schema_file_is_reported_at_preload(ksef_docs: Path, tmp_path: Path) -> None:
    directory = _copy_flat(ksef_docs, tmp_path / "schemas")
    (directory / FA2.xsd_name).write_text("<xsd:schema", encoding="utf-8")
    validator = FaSchemaValidator(find_schema_sources(directory))
    with pytest.raises(SchemaUnavailableError, match=r"FA \(2\)"):
        validator.preload()
    assert read_invoice(FA3_INVOICE, schemas=validator).form == FA3  # the other form is unaffected


def test_unreadable_schema_file_is_reported(ksef_docs: Path, tmp_path: Path) -> None:
    directory = _copy_flat(ksef_docs, tmp_path / "schemas")
    sources = find_schema_sources(directory)
    (directory / "KodyKrajow_v10-0E.xsd").unlink()
    with pytest.raises(SchemaUnavailableError, match="Nie można odczytać schematu KodyKrajow"):
        FaSchemaValidator(sources).preload()


# --- compiled once, thread-safe ---------------------------------------------------------------------------------------


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    original = schemas_module._CompiledForm.compile

    def compile_and_count(self: schemas_module._CompiledForm) -> object:
        calls.append(1)
        return original(self)

    monkeypatch.setattr(schemas_module._CompiledForm, "compile", compile_and_count)
    return calls


def test_each_schema_is_compiled_once_for_sequential_use(ksef_docs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _counting(monkeypatch)
    validator = FaSchemaValidator(find_schema_sources(ksef_docs / "faktury" / "schemy"))
    for _ in range(50):
        read_invoice(FA3_INVOICE, schemas=validator)
        read_invoice(FA2_INVOICE, schemas=validator)
    assert len(calls) == 2


def test_concurrent_validation_keeps_each_result_its_own(ksef_docs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _counting(monkeypatch)
    validator = FaSchemaValidator(find_schema_sources(ksef_docs / "faktury" / "schemy"))
    documents = {
        "valid": FA3_INVOICE,
        "P_1": FA3_INVOICE.replace(b"<P_1>2026-02-01", b"<P_1>2026-13-01"),
        "P_15": FA3_INVOICE.replace(b"<P_15>123.00", b"<P_15>duzo"),
        "KodWaluty": FA3_INVOICE.replace(b"<KodWaluty>PLN", b"<KodWaluty>ZZZ"),
        "big": invoice_xml(extra_line_items=300).replace(b"<P_2>", b"<P_2X>1</P_2X><P_2>"),
    }
    start = threading.Barrier(8)

    def check(name: str) -> str:
        start.wait()  # all threads start validating at the same moment
        results = []
        for round_number in range(25):
            key = list(documents)[(hash(name) + round_number) % len(documents)]
            if key == "valid":
                read_invoice(documents[key], schemas=validator)
                continue
            with pytest.raises(InvoiceError) as caught:
                read_invoice(documents[key], schemas=validator)
            assert caught.value.reason is InvoiceRejection.SCHEMA_INVALID
            expected = "P_2X" if key == "big" else key
            assert any(expected in detail for detail in caught.value.details[1:]), (key, caught.value.details)
            results.append(key)
        return ",".join(results)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(check, [f"worker-{index}" for index in range(8)]))
    assert 1 <= len(calls) <= 8  # one compiled copy per thread that validated at the same moment, at most


def test_the_staged_schema_set_compiles_with_libxml2s_own_loader(ksef_docs: Path) -> None:
    """lxml swaps libxml2's process-wide document loader in and out around every parse, so while one thread compiles
    a schema another thread's parse can put the default loader back; then no custom resolver is asked and an
    `http://crd.gov.pl/...` import is silently skipped ("The QName value 'TDataCzas' does not resolve", seen when two
    invoice workers shared a process). The staged copy must therefore compile with libxml2's own loader alone: here
    libxml2 reads it from its path, with no lxml parser (and so no resolver) involved."""
    validator = FaSchemaValidator(find_schema_sources(ksef_docs / "faktury" / "schemy"))
    for form in (FA2, FA3):
        staged = validator._compiled_form(form).staged_main()
        texts = [path.read_text(encoding="utf-8") for path in staged.parent.iterdir()]
        assert not any("http://crd.gov.pl" in text and 'schemaLocation="http' in text for text in texts)
        schema = etree.XMLSchema(file=str(staged))
        document = parse_document(FA3_INVOICE if form is FA3 else FA2_INVOICE, max_bytes=1_000_000)
        assert schema.validate(document), schema.error_log


def test_compiling_while_other_threads_parse_xml(ksef_docs: Path) -> None:
    """The race itself, as it happens in a server: threads parsing XML (XAdES, invoices) while a schema is compiled."""
    validator = FaSchemaValidator(find_schema_sources(ksef_docs / "faktury" / "schemy"))
    compiled = validator._compiled_form(FA3)
    stop = threading.Event()

    def parse_all_the_time() -> None:
        while not stop.is_set():
            read_invoice(FA3_INVOICE, schemas=None)
            etree.fromstring(b"<a><b/></a>", etree.XMLParser(no_network=True))

    threads = [threading.Thread(target=parse_all_the_time) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        for _ in range(150):
            compiled.compile()
    finally:
        stop.set()
        for thread in threads:
            thread.join()


# --- agreement with ksef-client's validator (interop) -----------------------------------------------------------------


@pytest.mark.interop
def test_same_verdicts_as_ksef_client(schemas: FaSchemaValidator) -> None:
    fa3 = pytest.importorskip("ksef_client.documents.fa3", reason="the dev extra ksef-client is not installed")
    corpus = [
        FA3_INVOICE,
        invoice_xml(attachment=True),
        invoice_xml(number="A" * 256),
        invoice_xml(number="A" * 257),
        FA3_INVOICE.replace(b"<P_1>2026-02-01", b"<P_1>2026-02-30"),
        FA3_INVOICE.replace(b"<KodWaluty>PLN", b"<KodWaluty>CNH"),
        FA3_INVOICE.replace(b'kodSystemowy="FA (3)"', b'kodSystemowy="FA(3)"'),
        FA3_INVOICE.replace(b"<JST>2</JST>", b""),
        FA3_INVOICE.replace(b"<P_13_1>100.00", b"<P_13_1>100.001"),
        FA3_INVOICE.replace(b"<NIP>5265877635", b"<NIP>0265877635"),
    ]
    verdicts = []
    for document in corpus:
        try:
            fa3.validate_fa3_xml_xsd(document)
        except fa3.FA3XmlValidationError:
            theirs = False
        else:
            theirs = True
        ours = _verdict(document, schemas)
        assert ours in (True, InvoiceRejection.SCHEMA_INVALID)
        assert (ours is True) == theirs, document[:200]
        verdicts.append(theirs)
    assert verdicts.count(True) == 3


def _verdict(document: bytes, schemas: FaSchemaValidator) -> bool | InvoiceRejection:
    try:
        read_invoice(document, schemas=schemas)
    except InvoiceError as error:
        return error.reason
    return True
