"""Database engine and migrations (store layer).

SQLite (WAL, one file in the data dir) is the embedded default; any SQLAlchemy URL works,
PostgreSQL via `postgresql+psycopg://...`. `open_engine` creates the engine with the pragmas
each backend needs, `migrate` brings the schema to head with Alembic. `prepare_data_dir`
creates the data dir owner-only (0700) and the SQLite file owner-only (0600) before SQLite
opens it: SQLite gives its `-wal` and `-shm` files the database file's mode.
"""

from __future__ import annotations

import logging
import os
import stat
import threading
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.pool import QueuePool

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_migrate_lock = threading.Lock()
MIGRATION_LOCK_KEY = 0x51_1C_E0_01  # any constant; names Sluice's migration lock in pg_locks
DATABASE_FILE = "sluice.db"
log = logging.getLogger(__name__)


def prepare_data_dir(data_dir: Path, embedded_database: bool = True) -> None:
    """Create `data_dir` as 0700 (warn when an existing one is open to others); the SQLite files 0600.

    `embedded_database`: the database is `sluice.db` in the data dir (no SLUICE_DATABASE_URL).

    An existing directory keeps its mode (an operator may share it on purpose), but the
    database files in it are always made owner-only: they hold every account's keys.
    """
    if not data_dir.exists():
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(data_dir, 0o700)  # again: mkdir's mode is filtered by the umask
    elif data_dir.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("data dir %s is accessible to other users (mode %o); 0700 is recommended",
                    data_dir, stat.S_IMODE(data_dir.stat().st_mode))
    if not embedded_database:
        return
    database = data_dir / DATABASE_FILE
    if not database.exists():
        # An empty file is an empty SQLite database; created 0600 so SQLite's -wal/-shm follow.
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT, 0o600))
    for name in (DATABASE_FILE, f"{DATABASE_FILE}-wal", f"{DATABASE_FILE}-shm"):
        path = data_dir / name
        if path.exists() and stat.S_IMODE(path.stat().st_mode) != 0o600:
            os.chmod(path, 0o600)


def protect_data_dir(data_dir: Path) -> None:
    """Create the data dir if needed and make it 0700: the database, `master.key` and staged data
    are the server's alone (local connector workers run as another user and must not open them)."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = data_dir.stat()
    if st.st_uid == os.geteuid() and st.st_mode & 0o077:
        data_dir.chmod(0o700)


def sqlite_url(data_dir: Path) -> str:
    """The default database URL: `sluice.db` inside the data dir."""
    return f"sqlite:///{data_dir / DATABASE_FILE}"


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run while a writer commits; NORMAL sync is durable across a process
    # kill (the WAL is fsynced at checkpoints) which is what the restart promise needs.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def open_engine(url: str) -> Engine:
    """Create an engine for `url` with the settings its backend needs."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            poolclass=QueuePool,
            pool_size=8,
            max_overflow=8,
            connect_args={"check_same_thread": False, "timeout": 10},
        )
        event.listen(engine, "connect", _on_sqlite_connect)
        return engine
    return create_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)


def migrate(engine: Engine) -> None:
    """Upgrade the schema to the newest Alembic revision."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with _migrate_lock, engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Servers starting together on one database migrate one at a time (held until commit).
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")
