"""Token chains and console login links: each token records the token that made it (revoked
with it), and one-time console login links are stored by the hash of their code.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tokens", sa.Column("parent", sa.String(32), nullable=True))
    op.create_index("ix_tokens_parent", "tokens", ["parent"])
    op.create_table(
        "login_links",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("user", sa.String(64), nullable=False),
        sa.Column("token", sa.String(32), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("used_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_login_links"),
        sa.ForeignKeyConstraint(["user"], ["users.name"], name="fk_login_links_user_users"),
    )


def downgrade() -> None:
    op.drop_table("login_links")
    op.drop_index("ix_tokens_parent", table_name="tokens")
    with op.batch_alter_table("tokens") as batch:
        batch.drop_column("parent")
