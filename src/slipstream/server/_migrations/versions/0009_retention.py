"""Retention: cache entries may expire (a task's ``cache_ttl``), and the data folders of collected
executions wait in ``collected_prefixes`` until their blobs are deleted.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cache_entries", sa.Column("expires_at", sa.Float(), nullable=True))
    op.create_table(
        "collected_prefixes",
        sa.Column("prefix", sa.String(1024), nullable=False),
        sa.Column("project", sa.String(64), nullable=False),
        sa.Column("domain", sa.String(64), nullable=False),
        sa.Column("execution", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("collected_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("prefix", name="pk_collected_prefixes"),
    )


def downgrade() -> None:
    op.drop_table("collected_prefixes")
    with op.batch_alter_table("cache_entries") as batch:
        batch.drop_column("expires_at")
