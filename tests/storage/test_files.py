"""Atomic writes with fixed permissions (`ksef_mcu.storage.files`)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from ksef_mcu.storage.files import ensure_private_directory, replace_file, write_new_file


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_file_gets_its_content_and_mode(tmp_path: Path) -> None:
    write_new_file(tmp_path / "secret", b"s3cret\n")
    write_new_file(tmp_path / "public.crt", b"PEM", mode=0o644)
    assert (tmp_path / "secret").read_bytes() == b"s3cret\n"
    assert _mode(tmp_path / "secret") == 0o600
    assert _mode(tmp_path / "public.crt") == 0o644
    assert sorted(path.name for path in tmp_path.iterdir()) == ["public.crt", "secret"]  # no temporary files left


def test_an_existing_file_is_never_replaced(tmp_path: Path) -> None:
    target = tmp_path / "key.key"
    target.write_bytes(b"original")
    with pytest.raises(FileExistsError):
        write_new_file(target, b"other")
    assert target.read_bytes() == b"original"
    assert list(tmp_path.iterdir()) == [target]


def test_without_hard_links_a_rename_still_refuses_an_existing_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(*args: object) -> None:
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr("ksef_mcu.storage.files.os.link", no_links)
    write_new_file(tmp_path / "new", b"data")
    assert (tmp_path / "new").read_bytes() == b"data"
    with pytest.raises(FileExistsError):
        write_new_file(tmp_path / "new", b"other")
    assert (tmp_path / "new").read_bytes() == b"data"
    assert [path.name for path in tmp_path.iterdir()] == ["new"]


def test_replace_swaps_the_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "profile.json"
    replace_file(target, b"first")
    replace_file(target, b"second, longer")
    assert target.read_bytes() == b"second, longer"
    assert _mode(target) == 0o600
    assert list(tmp_path.iterdir()) == [target]


def test_a_failed_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def disk_full(descriptor: int, data: object) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("ksef_mcu.storage.files.os.write", disk_full)
    with pytest.raises(OSError, match="No space"):
        write_new_file(tmp_path / "new", b"data")
    with pytest.raises(OSError, match="No space"):
        replace_file(tmp_path / "other", b"data")
    assert list(tmp_path.iterdir()) == []


def test_private_directories(tmp_path: Path) -> None:
    ensure_private_directory(tmp_path / "a" / "keys")
    assert _mode(tmp_path / "a" / "keys") == 0o700
