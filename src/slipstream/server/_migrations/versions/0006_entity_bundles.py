"""Entities by code bundle: serving a bundle looks up the entities that use it (only a caller who
may read one of them gets it), which an index keeps off a scan of every registered entity.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_entities_bundle", "entities", ["bundle"])


def downgrade() -> None:
    op.drop_index("ix_entities_bundle", table_name="entities")
