"""Schedules of launch plans, the ticks they claimed, notifications of terminal phases, and an
index of executions by last update (how the notifier finds the ones that ended).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "schedules",
        sa.Column("id", _id, autoincrement=True, nullable=False),
        sa.Column("project", sa.String(64), nullable=False),
        sa.Column("domain", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("version", sa.String(128), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("schedule", sa.Text(), nullable=False),
        sa.Column("next_at", sa.Float(), nullable=False),
        sa.Column("activated_by", sa.String(255), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_schedules"),
        sa.ForeignKeyConstraint(
            ["project"], ["projects.name"], name="fk_schedules_project_projects"
        ),
        sa.UniqueConstraint("project", "domain", "name", name="uq_schedules_project_domain_name"),
    )
    op.create_index("ix_schedules_due", "schedules", ["active", "next_at"])
    op.create_table(
        "schedule_ticks",
        sa.Column("id", _id, autoincrement=True, nullable=False),
        sa.Column("project", sa.String(64), nullable=False),
        sa.Column("domain", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("version", sa.String(128), nullable=False),
        sa.Column("tick_at", sa.Float(), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("execution", sa.String(64), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("not_before", sa.Float(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_schedule_ticks"),
        sa.ForeignKeyConstraint(
            ["project"], ["projects.name"], name="fk_schedule_ticks_project_projects"
        ),
        sa.UniqueConstraint(
            "project",
            "domain",
            "name",
            "tick_at",
            name="uq_schedule_ticks_project_domain_name_tick_at",
        ),
    )
    op.create_index("ix_schedule_ticks_state", "schedule_ticks", ["state", "id"])
    op.create_table(
        "notifications",
        sa.Column("id", _id, autoincrement=True, nullable=False),
        sa.Column("execution_id", _id, nullable=False),
        sa.Column("project", sa.String(64), nullable=False),
        sa.Column("domain", sa.String(64), nullable=False),
        sa.Column("execution", sa.String(64), nullable=False),
        sa.Column("phase", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("recipient", sa.String(1024), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_at", sa.Float(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("claimed_by", sa.String(255), nullable=False),
        sa.Column("claim_expires", sa.Float(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("sent_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_notifications"),
        sa.ForeignKeyConstraint(
            ["execution_id"], ["executions.id"], name="fk_notifications_execution_id_executions"
        ),
        sa.UniqueConstraint(
            "execution_id", "kind", "recipient", name="uq_notifications_execution_id_kind_recipient"
        ),
    )
    op.create_index("ix_notifications_due", "notifications", ["state", "next_at"])
    op.create_index("ix_notifications_listing", "notifications", ["project", "domain", "id"])
    # the notifier finds newly ended executions by their last update
    op.create_index("ix_executions_updated_at", "executions", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_executions_updated_at", table_name="executions")
    op.drop_index("ix_notifications_listing", table_name="notifications")
    op.drop_index("ix_notifications_due", table_name="notifications")
    op.drop_table("notifications")
    op.drop_index("ix_schedule_ticks_state", table_name="schedule_ticks")
    op.drop_table("schedule_ticks")
    op.drop_index("ix_schedules_due", table_name="schedules")
    op.drop_table("schedules")
