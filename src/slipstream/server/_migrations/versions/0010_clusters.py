"""Clusters: executions routed to named compute clusters, the hosts of each, and settings per
workflow or launch plan (``execution_cluster`` among them).

- ``executions.cluster``: the cluster the execution is (or was last) routed to; its hosts claim it.
  ``executions.route``: the ordered cluster names it may fail over to, comma-separated.
- ``clusters``: the known clusters (made by ``auth token create --cluster`` or a host's first
  heartbeat); ``cluster_hosts``: each engine host's last heartbeat, runner and capacity.
- ``settings.target``: settings of one workflow or launch plan (``workflow:NAME``,
  ``launch_plan:NAME``) below the project+domain's ("" for the project's or domain's own).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("executions") as batch:
        batch.add_column(
            sa.Column("cluster", sa.String(64), nullable=False, server_default="local")
        )
        batch.add_column(sa.Column("route", sa.String(1024), nullable=False, server_default=""))
        batch.create_index("ix_executions_cluster_lease", ["cluster", "phase", "lease_expires"])
    op.create_table(
        "clusters",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("store_url", sa.String(1024), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("name", name="pk_clusters"),
    )
    op.create_table(
        "cluster_hosts",
        sa.Column("owner", sa.String(255), nullable=False),
        sa.Column("cluster", sa.String(64), nullable=False),
        sa.Column("hostname", sa.String(255), nullable=False),
        sa.Column("runner", sa.String(1024), nullable=False),
        sa.Column("capacity", sa.Text(), nullable=False),
        sa.Column("running", sa.Integer(), nullable=False),
        sa.Column("executions", sa.Integer(), nullable=False),
        sa.Column("lease_s", sa.Float(), nullable=False),
        sa.Column("store_url", sa.String(1024), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("heartbeat_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("owner", name="pk_cluster_hosts"),
    )
    op.create_index("ix_cluster_hosts_cluster", "cluster_hosts", ["cluster", "heartbeat_at"])
    with op.batch_alter_table("tokens") as batch:  # cluster:NAME
        batch.alter_column(
            "scope", existing_type=sa.String(16), type_=sa.String(80), existing_nullable=False
        )
    with op.batch_alter_table("settings") as batch:
        batch.add_column(sa.Column("target", sa.String(300), nullable=False, server_default=""))
        batch.drop_constraint("uq_settings_project_domain", type_="unique")
        batch.create_unique_constraint(
            "uq_settings_project_domain_target", ["project", "domain", "target"]
        )


def downgrade() -> None:
    with op.batch_alter_table("tokens") as batch:
        batch.alter_column(
            "scope", existing_type=sa.String(80), type_=sa.String(16), existing_nullable=False
        )
    with op.batch_alter_table("settings") as batch:
        batch.drop_constraint("uq_settings_project_domain_target", type_="unique")
        batch.create_unique_constraint("uq_settings_project_domain", ["project", "domain"])
        batch.drop_column("target")
    op.drop_index("ix_cluster_hosts_cluster", table_name="cluster_hosts")
    op.drop_table("cluster_hosts")
    op.drop_table("clusters")
    with op.batch_alter_table("executions") as batch:
        batch.drop_index("ix_executions_cluster_lease")
        batch.drop_column("route")
        batch.drop_column("cluster")
