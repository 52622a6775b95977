"""Autogenerate an Alembic revision from the ORM models: `python tools/new_migration.py "message"`.

It migrates a throwaway SQLite database to head, then diffs it against `sluice.store.models`.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine

from sluice.store.db import MIGRATIONS, migrate


def main() -> int:
    """Write a new revision file under src/sluice/store/migrations/versions/."""
    message = sys.argv[1] if len(sys.argv) > 1 else "schema change"
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{Path(tmp) / 'gen.db'}")
        migrate(engine)
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.revision(cfg, message=message, autogenerate=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
