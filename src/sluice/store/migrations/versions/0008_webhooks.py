"""webhooks that receive run reports

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 04:10:00

One row per (account, URL) registered with `sluice webhooks add`; the HMAC secret is sealed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhooks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("secret_enc", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_webhooks_account_id", "webhooks", ["account_id"])


def downgrade() -> None:
    op.drop_index("ix_webhooks_account_id", table_name="webhooks")
    op.drop_table("webhooks")
