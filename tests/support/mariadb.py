"""A throwaway MariaDB server for the tests (Debian's `mariadb-server`, installed by `make install-test`).

Each server has its own data directory under a temp dir and its own port on 127.0.0.1; it is
started and stopped by the test that needs it. MariaDB refuses to run as root unless told the
user, so as root it runs as the `mysql` system user Debian's package creates.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT_PASSWORD = "sluice-test"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def find_server() -> Path | None:
    """The MariaDB server binary on this machine, if any."""
    for name in ("mariadbd", "mysqld"):
        found = shutil.which(name) or (f"/usr/sbin/{name}" if Path(f"/usr/sbin/{name}").exists() else None)
        if found:
            return Path(found)
    return None


@dataclass
class MariaDBServer:
    """A running MariaDB server on 127.0.0.1 (user `root`, password `ROOT_PASSWORD`)."""

    port: int
    root: Path
    process: subprocess.Popen[bytes]

    def connect(self, database: str | None = None):  # type: ignore[no-untyped-def]
        """A PyMySQL connection as root (autocommit)."""
        import pymysql

        return pymysql.connect(host="127.0.0.1", port=self.port, user="root", password=ROOT_PASSWORD,
                               database=database, autocommit=True, charset="utf8mb4")

    def create_database(self) -> str:
        """A fresh, empty database; returns its name."""
        name = "t_" + uuid.uuid4().hex[:12]
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        return name

    def stop(self) -> None:
        """Stop the server and delete its files."""
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)


def start_mariadb() -> MariaDBServer:
    """Initialise a private data dir and start `mariadbd` on a free port; RuntimeError without binaries."""
    server = find_server()
    install = shutil.which("mariadb-install-db") or shutil.which("mysql_install_db")
    if server is None or install is None:
        raise RuntimeError("MariaDB server binaries not found; `make install-test` installs Debian's mariadb-server")
    root = Path(tempfile.mkdtemp(prefix="sluice-mariadb-"))
    data = root / "data"
    user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, "mysql", "mysql")
        os.chmod(root, 0o755)
        user = ["--user=mysql"]
    subprocess.run([install, "--no-defaults", f"--datadir={data}", *user, "--auth-root-authentication-method=normal",
                    "--skip-test-db"], check=True, capture_output=True)
    port = _free_port()
    process = subprocess.Popen(
        [str(server), "--no-defaults", f"--datadir={data}", *user, "--bind-address=127.0.0.1", f"--port={port}",
         f"--socket={root / 'mysqld.sock'}", f"--pid-file={root / 'mysqld.pid'}", "--skip-log-bin",
         "--innodb-flush-log-at-trx-commit=0", "--innodb-buffer-pool-size=64M", "--skip-name-resolve",
         f"--log-error={root / 'error.log'}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    started = MariaDBServer(port, root, process)
    try:
        _wait_until_up(started)
        # Root signs in with a password over TCP, as an application user would.
        result = subprocess.run(
            ["mariadb", "--no-defaults", f"--socket={root / 'mysqld.sock'}", "-uroot", "-e",
             f"ALTER USER 'root'@'localhost' IDENTIFIED BY '{ROOT_PASSWORD}'; "
             "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'; "
             f"ALTER USER 'root'@'127.0.0.1' IDENTIFIED BY '{ROOT_PASSWORD}'; "
             "GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;"],
            capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError("could not set MariaDB's root password: " + result.stderr)
    except BaseException:
        started.stop()  # a server that did not come up is not left behind
        raise
    return started


def _wait_until_up(server: MariaDBServer) -> None:
    deadline = time.time() + 60
    while time.time() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError("mariadbd exited: " + (server.root / "error.log").read_text(errors="replace")[-2000:])
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("mariadbd did not start listening within 60 s")
