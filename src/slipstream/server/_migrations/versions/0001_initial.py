"""Initial schema: projects, entities, settings, promotions, code bundles, executions.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "projects",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("labels", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_projects"),
    )
    op.create_table(
        "entities",
        sa.Column("id", _id, autoincrement=True, nullable=False),
        sa.Column("resource_type", sa.String(16), nullable=False),
        sa.Column("project", sa.String(64), nullable=False),
        sa.Column("domain", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("version", sa.String(128), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("bundle", sa.String(64), nullable=False),
        sa.Column("spec", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project"], ["projects.name"], name="fk_entities_project_projects"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_entities"),
        sa.UniqueConstraint(
            "resource_type",
            "project",
            "domain",
            "name",
            "version",
            name="uq_entities_resource_type_project_domain_name_version",
        ),
    )
    op.create_index("ix_entities_listing", "entities", ["resource_type", "project", "domain", "id"])
    op.create_index(
        "ix_entities_by_name", "entities", ["resource_type", "project", "domain", "name", "id"]
    )
    op.create_table(
        "settings",
        sa.Column("id", _id, autoincrement=True, nullable=False),
        sa.Column("project", sa.String(64), nullable=False),
        sa.Column("domain", sa.String(64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project"], ["projects.name"], name="fk_settings_project_projects"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_settings"),
        sa.UniqueConstraint("project", "domain", name="uq_settings_project_domain"),
    )
    op.create_table(
        "promotions",
        sa.Column("id", _id, autoincrement=True, nullable=False),
        sa.Column("resource_type", sa.String(16), nullable=False),
        sa.Column("project", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("version", sa.String(128), nullable=False),
        sa.Column("from_domain", sa.String(64), nullable=False),
        sa.Column("to_domain", sa.String(64), nullable=False),
        sa.Column("promoted_by", sa.String(255), nullable=False),
        sa.Column("promoted_at", sa.Float(), nullable=False),
        sa.Column("entities", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project"], ["projects.name"], name="fk_promotions_project_projects"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_promotions"),
    )
    op.create_index("ix_promotions_project_id", "promotions", ["project", "id"])
    op.create_table(
        "code_bundles",
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("uri", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("digest", name="pk_code_bundles"),
    )
    op.create_table(
        "executions",
        sa.Column("id", _id, autoincrement=True, nullable=False),
        sa.Column("project", sa.String(64), nullable=False),
        sa.Column("domain", sa.String(64), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("phase", sa.String(32), nullable=False),
        sa.Column("target_type", sa.String(16), nullable=False),
        sa.Column("target_name", sa.String(255), nullable=False),
        sa.Column("target_version", sa.String(128), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.Column("lease_owner", sa.String(255), nullable=True),
        sa.Column("lease_expires", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["project"], ["projects.name"], name="fk_executions_project_projects"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_executions"),
        sa.UniqueConstraint("project", "domain", "name", name="uq_executions_project_domain_name"),
    )
    op.create_index("ix_executions_listing", "executions", ["project", "domain", "id"])
    op.create_index("ix_executions_by_phase", "executions", ["project", "domain", "phase", "id"])
    op.create_index("ix_executions_lease", "executions", ["phase", "lease_expires"])


def downgrade() -> None:
    for table in ("executions", "code_bundles", "promotions", "settings", "entities", "projects"):
        op.drop_table(table)
