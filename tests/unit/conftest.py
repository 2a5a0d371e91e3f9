"""Fixtures for unit tests: the official client test vectors from the shared research folder."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

VECTORS_FILE = Path("research") / "official-clients-vectors.json"


def find_shared_dir() -> Path | None:
    """`KSEF_MCU_SHARED_DIR`, else the nearest `shared/` beside an ancestor of this repository that has ksef-docs."""
    if configured := os.environ.get("KSEF_MCU_SHARED_DIR"):
        return Path(configured)
    for ancestor in Path(__file__).resolve().parents:
        candidate = ancestor / "shared"
        if (candidate / "ksef-docs").is_dir():
            return candidate
    return None


@pytest.fixture(scope="session")
def official_vectors() -> dict[str, Any]:
    """The official KSeF clients' test vectors (KOD I, KOD II, key-file parameters)."""
    shared = find_shared_dir()
    if shared is None or not (shared / VECTORS_FILE).is_file():
        pytest.skip(f"the shared research folder with {VECTORS_FILE} is not available")
    with (shared / VECTORS_FILE).open(encoding="utf-8") as handle:
        vectors: dict[str, Any] = json.load(handle)
    return vectors
