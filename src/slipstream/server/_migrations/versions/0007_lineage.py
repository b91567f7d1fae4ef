"""The lineage index: the blob URIs each node execution wrote and read, looked up by the hash of
the URI; its rows go with their execution (``ON DELETE CASCADE``).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "lineage",
        sa.Column("id", _id, autoincrement=True, nullable=False),
        sa.Column("execution_id", _id, nullable=False),
        sa.Column("node", sa.String(512), nullable=False),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("uri_key", sa.String(64), nullable=False),
        sa.Column("uri", sa.Text(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("cache", sa.String(16), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_lineage"),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["executions.id"],
            name="fk_lineage_execution_id_executions",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "execution_id",
            "node",
            "role",
            "uri_key",
            name="uq_lineage_execution_id_node_role_uri_key",
        ),
    )
    op.create_index("ix_lineage_uri_key", "lineage", ["uri_key", "id"])


def downgrade() -> None:
    op.drop_index("ix_lineage_uri_key", table_name="lineage")
    op.drop_table("lineage")
