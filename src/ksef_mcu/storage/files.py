"""Atomic file writes with fixed permissions (private keys, secrets, certificates, profiles).

The data goes to a temporary file in the target directory (permissions set before anything is written), is flushed
to disk, and only then takes the target name — by a hard link for a new file (which fails if the name is taken, so
an existing file is never replaced, not even one that appeared meanwhile) or by a rename for a replacement. The
directory entry is flushed too. A reader, or a crash, never sees a partial file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["ensure_private_directory", "replace_file", "write_new_file"]


def ensure_private_directory(directory: Path) -> None:
    """Create `directory` (and parents) readable only by the owner, if it does not exist yet."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)


def write_new_file(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Create `path` holding `data` with permissions `mode`, atomically.

    Raises `FileExistsError` when `path` exists (it is left untouched) and `OSError` for other failures (nothing is
    left behind).
    """
    with _written_aside(path, data, mode) as temporary:
        try:
            os.link(temporary, path)
        except FileExistsError:
            raise
        except OSError:
            # A file system without hard links: a rename is atomic too, but it would replace a file that appeared
            # since this check.
            if path.exists() or path.is_symlink():
                raise FileExistsError(path) from None
            os.rename(temporary, path)
    _sync_directory(path)


def replace_file(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Write `data` to `path` with permissions `mode`, replacing the file if it exists: readers see the old content
    or the new one, never a mix. Raises `OSError`."""
    with _written_aside(path, data, mode) as temporary:
        os.replace(temporary, path)
    _sync_directory(path)


def _directory_of(path: Path) -> Path:
    return path.parent if str(path.parent) else Path()


@contextlib.contextmanager
def _written_aside(path: Path, data: bytes, mode: int) -> Iterator[Path]:
    """A temporary file beside `path` holding `data` (flushed to disk, permissions `mode`); removed afterwards
    unless it was renamed."""
    descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=_directory_of(path))
    temporary = Path(name)
    try:
        os.fchmod(descriptor, mode)
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view) :]
        os.fsync(descriptor)
        os.close(descriptor)
        descriptor = -1
        yield temporary
    finally:
        if descriptor != -1:
            os.close(descriptor)
        temporary.unlink(missing_ok=True)


def _sync_directory(path: Path) -> None:
    """Flush the directory entry, so the new name survives a crash."""
    descriptor = os.open(_directory_of(path), os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
