"""A private PostgreSQL cluster for fault tests: created with `initdb` in a temporary directory, on a free port, so a
test can restart or stop it without touching the PostgreSQL other tests (and other people) use."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from support.processes import free_port


def postgres_binaries() -> Path | None:
    """The newest installed server's `bin/` directory (Debian layout), or None."""
    root = Path("/usr/lib/postgresql")
    candidates = sorted(root.glob("*/bin/initdb"), key=lambda path: int(path.parent.parent.name), reverse=True)
    return candidates[0].parent if candidates else None


def why_not_available() -> str | None:
    """None when a private cluster can be made here; otherwise the reason (printed by the skipping test)."""
    if postgres_binaries() is None:
        return "no PostgreSQL server binaries under /usr/lib/postgresql"
    if os.geteuid() != 0:
        return "a private PostgreSQL cluster is started as the 'postgres' user, which needs root"
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return "there is no 'postgres' user"
    return None


class Cluster:
    def __init__(self, directory: Path) -> None:
        binaries = postgres_binaries()
        assert binaries is not None
        self._bin = binaries
        self.directory = directory
        self.data = directory / "pgdata"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self.log = directory / "postgres.log"

    def _run(self, *arguments: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["runuser", "-u", "postgres", "--", *arguments], check=check, capture_output=True, text=True, timeout=120
        )

    def create(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        shutil.chown(self.directory, "postgres", "postgres")
        self._run(str(self._bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"port = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.data}'\n"
                "fsync = off\nmax_connections = 200\n"
            )

    def start(self) -> None:
        self._run(str(self._bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self._bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def restart(self, *, down_for: float = 0.0) -> None:
        """Stop (fast: open connections are cut), stay down `down_for` seconds, start again."""
        self.stop()
        time.sleep(down_for)
        self.start()


@contextmanager
def private_cluster() -> Iterator[Cluster]:
    """A new cluster in its own directory under the system's temporary folder (pytest's are private to root, and
    the server runs as `postgres`), removed afterwards."""
    cluster = Cluster(Path(tempfile.mkdtemp(prefix="ksef-mcu-postgres-")))
    cluster.create()
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop("immediate")
        shutil.rmtree(cluster.directory, ignore_errors=True)
