"""Fixtures for the documents tests: the official documentation snapshot (read-only, never copied)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ksef_mcu.documents.forms import FA2, FA3
from ksef_mcu.documents.schemas import FaSchemaValidator, find_schema_sources
from support.openapi import find_shared_dir


@pytest.fixture(scope="session")
def ksef_docs() -> Path:
    """`shared/ksef-docs`; the test is skipped (with the reason printed by `-ra`) when it is not available."""
    shared = find_shared_dir()
    docs = shared / "ksef-docs" if shared else None
    if docs is None or not docs.is_dir():
        pytest.skip(
            "shared/ksef-docs (official KSeF documentation, XSDs, UPO examples) not found; set KSEF_MCU_SHARED_DIR"
        )
    return docs


@pytest.fixture(scope="session")
def schemas(ksef_docs: Path) -> FaSchemaValidator:
    """A validator with the FA(2) and FA(3) XSDs of the documentation snapshot (read in place, never copied)."""
    validator = FaSchemaValidator(find_schema_sources(ksef_docs / "faktury" / "schemy"))
    assert validator.available(FA2)
    assert validator.available(FA3)
    return validator
