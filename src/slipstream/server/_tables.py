"""Database rows (SQLAlchemy 2 ``Mapped[]``): the control plane's tables.

Registered entities are stored as their model JSON (``spec``) plus the indexed columns that lists
filter and sort on. Timestamps are epoch seconds, as in the wire model. The Alembic migrations in
``_migrations/`` create exactly these tables; a test checks that they agree.

Executions are stored here too (their list is served now; the engine's state store writes them in a
later step); node executions, attempts and the event log will be added as tables keyed by
``executions.id`` and a node path, each through a new migration.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "Base",
    "BundleRow",
    "EntityRow",
    "ExecutionRow",
    "ProjectRow",
    "PromotionRow",
    "SettingsRow",
]

# BIGINT primary keys on PostgreSQL; SQLite only auto-increments a column declared INTEGER.
_Id = BigInteger().with_variant(Integer(), "sqlite")

_NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so migrations name constraints predictably."""

    metadata = MetaData(naming_convention=_NAMING)


class ProjectRow(Base):
    """A project; archived projects keep their entities and refuse new registrations."""

    __tablename__ = "projects"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    description: Mapped[str] = mapped_column(Text, default="")
    labels: Mapped[str] = mapped_column(Text, default="{}")
    state: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[float] = mapped_column(Float)


class EntityRow(Base):
    """One immutable version of a task, workflow or launch plan.

    ``digest`` hashes the spec and the bundle: equal digests make re-registration a no-op.
    ``id`` grows with insertion, so "newest first" is ``ORDER BY id DESC`` over an index.
    """

    __tablename__ = "entities"
    __table_args__ = (
        UniqueConstraint("resource_type", "project", "domain", "name", "version"),
        Index("ix_entities_listing", "resource_type", "project", "domain", "id"),
        Index("ix_entities_by_name", "resource_type", "project", "domain", "name", "id"),
    )

    id: Mapped[int] = mapped_column(_Id, primary_key=True, autoincrement=True)
    resource_type: Mapped[str] = mapped_column(String(16))
    project: Mapped[str] = mapped_column(String(64), ForeignKey("projects.name"))
    domain: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    version: Mapped[str] = mapped_column(String(128))
    digest: Mapped[str] = mapped_column(String(64))
    bundle: Mapped[str] = mapped_column(String(64), default="")
    spec: Mapped[str] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Float)


class SettingsRow(Base):
    """Settings of a project (``domain`` empty) or of a project+domain, as model JSON."""

    __tablename__ = "settings"
    __table_args__ = (UniqueConstraint("project", "domain"),)

    id: Mapped[int] = mapped_column(_Id, primary_key=True, autoincrement=True)
    project: Mapped[str] = mapped_column(String(64), ForeignKey("projects.name"))
    domain: Mapped[str] = mapped_column(String(64), default="")
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[float] = mapped_column(Float)


class PromotionRow(Base):
    """The audit trail of promotions: append-only."""

    __tablename__ = "promotions"
    __table_args__ = (Index("ix_promotions_project_id", "project", "id"),)

    id: Mapped[int] = mapped_column(_Id, primary_key=True, autoincrement=True)
    resource_type: Mapped[str] = mapped_column(String(16))
    project: Mapped[str] = mapped_column(String(64), ForeignKey("projects.name"))
    name: Mapped[str] = mapped_column(String(255))
    version: Mapped[str] = mapped_column(String(128))
    from_domain: Mapped[str] = mapped_column(String(64))
    to_domain: Mapped[str] = mapped_column(String(64))
    promoted_by: Mapped[str] = mapped_column(String(255))
    promoted_at: Mapped[float] = mapped_column(Float)
    entities: Mapped[str] = mapped_column(Text)


class BundleRow(Base):
    """A code bundle known to be in the blob store, by content digest."""

    __tablename__ = "code_bundles"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    uri: Mapped[str] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Float)


class ExecutionRow(Base):
    """An execution: indexed columns plus the ``ExecutionRecord`` JSON.

    ``lease_owner``/``lease_expires`` let several engine hosts share work
    (``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL).
    """

    __tablename__ = "executions"
    __table_args__ = (
        UniqueConstraint("project", "domain", "name"),
        Index("ix_executions_listing", "project", "domain", "id"),
        Index("ix_executions_by_phase", "project", "domain", "phase", "id"),
        Index("ix_executions_lease", "phase", "lease_expires"),
    )

    id: Mapped[int] = mapped_column(_Id, primary_key=True, autoincrement=True)
    project: Mapped[str] = mapped_column(String(64), ForeignKey("projects.name"))
    domain: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64))
    phase: Mapped[str] = mapped_column(String(32))
    target_type: Mapped[str] = mapped_column(String(16))
    target_name: Mapped[str] = mapped_column(String(255))
    target_version: Mapped[str] = mapped_column(String(128))
    record: Mapped[str] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)
    lease_owner: Mapped[str | None] = mapped_column(String(255), nullable=True)
    lease_expires: Mapped[float | None] = mapped_column(Float, nullable=True)
