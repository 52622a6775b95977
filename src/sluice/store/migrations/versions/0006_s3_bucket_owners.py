"""owners and grants of the embedded S3 store's buckets

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 00:20:00

A local bucket (a folder under `<data dir>/s3`) belongs to one account; other accounts may use it
only when granted (`sluice buckets grant`). Folders without a row belong to the default account,
so an existing single-user data dir needs no data migration. Cached S3 metadata is dropped: it
was fetched before buckets had owners (and could show what links pointed at).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "s3_buckets",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("owner_account_id", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_index("ix_s3_buckets_owner_account_id", "s3_buckets", ["owner_account_id"])
    op.create_table(
        "s3_bucket_grants",
        sa.Column("bucket", sa.String(length=255), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("granted_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", "account_id"),
    )
    op.create_index("ix_s3_bucket_grants_account_id", "s3_bucket_grants", ["account_id"])
    op.execute(sa.text("DELETE FROM metadata_cache WHERE connector_key = 'S3'"))


def downgrade() -> None:
    op.drop_index("ix_s3_bucket_grants_account_id", table_name="s3_bucket_grants")
    op.drop_table("s3_bucket_grants")
    op.drop_index("ix_s3_buckets_owner_account_id", table_name="s3_buckets")
    op.drop_table("s3_buckets")
