"""flow connector labels

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 12:39:30.603134
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("flows", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_label", sa.String(length=256), nullable=True))
        batch_op.add_column(sa.Column("destination_label", sa.String(length=256), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table("flows", schema=None) as batch_op:
        batch_op.drop_column("destination_label")
        batch_op.drop_column("source_label")

