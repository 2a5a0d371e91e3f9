"""Fixtures for the documents tests: the official documentation snapshot (read-only, never copied)."""

from __future__ import annotations

from pathlib import Path

import pytest

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
