"""The two locks agree: `make run` installs requirements/runtime.txt, `make test` adds requirements/dev.txt."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s;#]+)")
_NAME = re.compile(r"^([A-Za-z0-9_.\-]+)")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(path: Path) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if match := _PIN.match(line):
            pins[_canonical(match.group(1))] = match.group(2)
    assert pins, f"{path} pins nothing"
    return pins


def _declared(requirements: list[str]) -> set[str]:
    names = set()
    for requirement in requirements:
        match = _NAME.match(requirement)
        assert match is not None, requirement
        names.add(_canonical(match.group(1)))
    return names


PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
RUNTIME = _pins(ROOT / "requirements" / "runtime.txt")
DEV = _pins(ROOT / "requirements" / "dev.txt")


def test_every_runtime_pin_is_the_same_in_the_dev_lock() -> None:
    assert {name: DEV.get(name) for name in RUNTIME} == RUNTIME


def test_the_runtime_lock_holds_the_dependencies_and_no_developer_tool() -> None:
    assert _declared(PROJECT["dependencies"]) <= set(RUNTIME)
    tools = _declared(PROJECT["optional-dependencies"]["dev"])
    assert tools <= set(DEV)
    assert tools & set(RUNTIME) == set()
    for tool in ("mypy", "ruff", "pytest", "hypothesis", "import-linter"):
        assert tool not in RUNTIME
