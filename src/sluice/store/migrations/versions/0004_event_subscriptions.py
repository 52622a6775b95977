"""event subscriptions

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 14:40:00

Event-triggered flows keep their change-event cursor (the last replay id turned into a run) and
the lease of the server process that holds their subscription; an event run points at the file
its events were spooled to.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("flows", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event_cursor", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("event_owner", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("event_lease_until", sa.Float(), nullable=True))

    with op.batch_alter_table("execution_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event_batch", sa.String(length=1024), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("execution_records", schema=None) as batch_op:
        batch_op.drop_column("event_batch")

    with op.batch_alter_table("flows", schema=None) as batch_op:
        batch_op.drop_column("event_lease_until")
        batch_op.drop_column("event_owner")
        batch_op.drop_column("event_cursor")
