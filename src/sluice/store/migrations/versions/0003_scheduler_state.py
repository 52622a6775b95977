"""scheduler state

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 13:27:07.957496
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("execution_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scheduled_for", sa.Float(), nullable=True))

    with op.batch_alter_table("flows", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_fire_at", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("activated_at", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("watermark", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("consecutive_failures", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_index(batch_op.f("ix_flows_next_fire_at"), ["next_fire_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("flows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flows_next_fire_at"))
        batch_op.drop_column("consecutive_failures")
        batch_op.drop_column("watermark")
        batch_op.drop_column("activated_at")
        batch_op.drop_column("next_fire_at")

    with op.batch_alter_table("execution_records", schema=None) as batch_op:
        batch_op.drop_column("scheduled_for")
