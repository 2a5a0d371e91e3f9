"""`crypto.compat.tolerate_ksef_quirks` holds a process-wide lock: it must never be held across an `await` (every
other coroutine wanting to parse a certificate name would wait for an unrelated I/O). No `async def` in the project
enters it; sync code does, around parsing only."""

from __future__ import annotations

import ast
from pathlib import Path

import ksef_mcu

SOURCE = Path(ksef_mcu.__file__).resolve().parent


def _enters_quirks(node: ast.AST) -> bool:
    for inner in ast.walk(node):
        if isinstance(inner, ast.With | ast.AsyncWith):
            for item in inner.items:
                call = item.context_expr
                name = getattr(getattr(call, "func", None), "attr", None) or getattr(
                    getattr(call, "func", None), "id", None
                )
                if name == "tolerate_ksef_quirks":
                    return True
    return False


def test_no_coroutine_holds_the_quirks_lock() -> None:
    offenders = []
    checked = 0
    for path in SOURCE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.AsyncFunctionDef):
                checked += 1
                if _enters_quirks(node):
                    offenders.append(f"{path.relative_to(SOURCE)}:{node.lineno} {node.name}")
    assert checked > 20
    assert not offenders, offenders
