"""Executions run on the server: node executions, attempts, events, signals, the shared cache.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("executions") as batch:
        batch.add_column(sa.Column("parent_id", _id, nullable=True))
        batch.add_column(
            sa.Column("parent_node", sa.String(512), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("launched_by", sa.String(255), nullable=False, server_default="")
        )
    op.create_table(
        "node_executions",
        sa.Column("id", _id, autoincrement=True, nullable=False),
        sa.Column("execution_id", _id, nullable=False),
        sa.Column("path", sa.String(512), nullable=False),
        sa.Column("phase", sa.String(32), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_node_executions"),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["executions.id"],
            name="fk_node_executions_execution_id_executions",
        ),
        sa.UniqueConstraint("execution_id", "path", name="uq_node_executions_execution_id_path"),
    )
    op.create_table(
        "attempts",
        sa.Column("id", _id, autoincrement=True, nullable=False),
        sa.Column("execution_id", _id, nullable=False),
        sa.Column("node", sa.String(512), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("phase", sa.String(32), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_attempts"),
        sa.ForeignKeyConstraint(
            ["execution_id"], ["executions.id"], name="fk_attempts_execution_id_executions"
        ),
        sa.UniqueConstraint(
            "execution_id", "node", "number", name="uq_attempts_execution_id_node_number"
        ),
    )
    op.create_table(
        "events",
        sa.Column("id", _id, autoincrement=True, nullable=False),
        sa.Column("execution_id", _id, nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("node", sa.String(512), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
        sa.ForeignKeyConstraint(
            ["execution_id"], ["executions.id"], name="fk_events_execution_id_executions"
        ),
    )
    op.create_index("ix_events_execution_id", "events", ["execution_id", "id"])
    op.create_table(
        "signals",
        sa.Column("id", _id, autoincrement=True, nullable=False),
        sa.Column("execution_id", _id, nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("sent_by", sa.String(255), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_signals"),
        sa.ForeignKeyConstraint(
            ["execution_id"], ["executions.id"], name="fk_signals_execution_id_executions"
        ),
        sa.UniqueConstraint("execution_id", "name", name="uq_signals_execution_id_name"),
    )
    op.create_table(
        "cache_entries",
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("project", sa.String(64), nullable=False),
        sa.Column("domain", sa.String(64), nullable=False),
        sa.Column("task", sa.String(255), nullable=False),
        sa.Column("outputs", sa.Text(), nullable=False),
        sa.Column("outputs_uri", sa.Text(), nullable=False),
        sa.Column("source", sa.String(255), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_cache_entries"),
    )
    op.create_table(
        "cache_reservations",
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("owner", sa.String(255), nullable=False),
        sa.Column("expires", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_cache_reservations"),
    )


def downgrade() -> None:
    for table in ("cache_reservations", "cache_entries", "signals", "events", "attempts"):
        op.drop_table(table)
    op.drop_table("node_executions")
    with op.batch_alter_table("executions") as batch:
        batch.drop_column("launched_by")
        batch.drop_column("parent_node")
        batch.drop_column("parent_id")
