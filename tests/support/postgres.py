"""A throwaway PostgreSQL server for the tests (Debian's server binaries, installed by `make test`).

PostgreSQL refuses to run as root, so when the tests run as root the server runs as the
`postgres` system user (created by Debian's package) through `runuser`.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def find_bin_dir() -> Path | None:
    """The newest PostgreSQL server bin dir on this machine, if any."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


@dataclass
class PostgresServer:
    """A running PostgreSQL cluster on 127.0.0.1."""

    port: int
    root: Path
    bin_dir: Path
    runas: list[str]

    def url(self, database: str = "postgres") -> str:
        """SQLAlchemy URL for `database` on this server."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A fresh, empty database; returns its SQLAlchemy URL."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        """Stop the server and delete its files."""
        subprocess.run(
            [*self.runas, str(self.bin_dir / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "stop"],
            capture_output=True, check=False,
        )
        shutil.rmtree(self.root, ignore_errors=True)


def start_postgres() -> PostgresServer:
    """initdb + start a private cluster; raises RuntimeError if no server binaries exist."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL server binaries not found; `make test` installs Debian's postgresql")
    root = Path(tempfile.mkdtemp(prefix="sluice-pg-"))
    runas: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        os.chmod(root, 0o755)
        runas = ["runuser", "-u", "postgres", "--"]
    data = root / "data"
    subprocess.run(
        [*runas, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"],
        check=True, capture_output=True,
    )
    port = _free_port()
    options = f"-p {port} -k {root} -h 127.0.0.1 -F -c fsync=off -c full_page_writes=off -c max_connections=200"
    subprocess.run(
        [*runas, str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"],
        check=True, capture_output=True,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.1)
    return PostgresServer(port, root, bin_dir, runas)
