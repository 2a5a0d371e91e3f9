"""Fixtures for the XAdES tests: the official documentation snapshot and the xmlsec1 command, when present."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest


def find_ksef_docs() -> Path | None:
    """`shared/ksef-docs` from KSEF_MCU_SHARED_DIR, or the nearest `shared/ksef-docs` above this repository."""
    configured = os.environ.get("KSEF_MCU_SHARED_DIR")
    if configured:
        candidate = Path(configured) / "ksef-docs"
        return candidate if candidate.is_dir() else None
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "ksef-docs"
        if candidate.is_dir():
            return candidate
    return None


@pytest.fixture(scope="session")
def ksef_docs() -> Path:
    """The official documentation snapshot; the test is skipped when it is not available."""
    docs = find_ksef_docs()
    if docs is None:
        pytest.skip("shared/ksef-docs (official KSeF documentation and XSDs) not found; set KSEF_MCU_SHARED_DIR")
    return docs


@pytest.fixture(scope="session")
def xmlsec1() -> str:
    """Path of the `xmlsec1` command (Debian package xmlsec1); the test is skipped when it is missing."""
    path = shutil.which("xmlsec1")
    if path is None:
        pytest.skip("xmlsec1 is not installed (apt-get install xmlsec1); independent verification skipped")
    return path
