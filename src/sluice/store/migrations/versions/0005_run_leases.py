"""run leases and publications

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 00:30:00

A claimed run is held by a lease instead of a `host:pid:thread` name: `lease_owner` is the
random node id of the server process running it (the old `claimed_by` column, renamed) and
`lease_expires_at` the instant the claim lapses unless renewed. Claims made by an older version
get an expired lease, so the next server to look recovers them. `publications` holds, per
destination, the manifest of what the run is making visible until the run is recorded, so a run
killed while publishing can be rolled back.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("execution_records", schema=None) as batch_op:
        batch_op.alter_column("claimed_by", new_column_name="lease_owner", existing_type=sa.String(length=128),
                              existing_nullable=True)
        batch_op.add_column(sa.Column("lease_expires_at", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("publications", sa.JSON(), nullable=True))
    op.execute("UPDATE execution_records SET lease_expires_at = 0 WHERE lease_owner IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("execution_records", schema=None) as batch_op:
        batch_op.drop_column("publications")
        batch_op.drop_column("lease_expires_at")
        batch_op.alter_column("lease_owner", new_column_name="claimed_by", existing_type=sa.String(length=128),
                              existing_nullable=True)
