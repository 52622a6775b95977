"""run details and run events

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 04:00:00

`execution_records.run_details` holds a run's per-stage counts (source, each task, each
destination), written with the live progress while the run goes and once more when it ends.
`run_events` is each run's bounded log (started, source opened, files and pages, warnings,
retries, publish, finished), numbered per run by `seq`; rows go with their execution record.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("execution_records") as batch:
        batch.add_column(sa.Column("run_details", sa.JSON(), nullable=True))
    op.create_table(
        "run_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("time", sa.Float(), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["record_id"], ["execution_records.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("record_id", "seq", name="uq_run_event_seq"),
    )


def downgrade() -> None:
    op.drop_table("run_events")
    with op.batch_alter_table("execution_records") as batch:
        batch.drop_column("run_details")
