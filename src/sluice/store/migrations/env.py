"""Alembic environment for Sluice's store (store layer).

Run programmatically by `sluice.store.db.migrate`; the connection is handed in through
`config.attributes["connection"]` so SQLite and PostgreSQL go through the same path.
"""

from __future__ import annotations

from alembic import context

from sluice.store.models import Base

config = context.config
connection = config.attributes.get("connection")
target_metadata = Base.metadata

if connection is None:  # offline SQL generation (`alembic upgrade --sql`)
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
