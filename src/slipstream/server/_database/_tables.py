"""Database rows (SQLAlchemy 2 ``Mapped[]``): the control plane's tables.

Registered entities are stored as their model JSON (``spec``) plus the indexed columns that lists
filter and sort on. Timestamps are epoch seconds, as in the wire model. The Alembic migrations in
``_migrations/`` create exactly these tables; a test checks that they agree.

Executions and what they are made of (node executions, attempts, the append-only event log, the
signals sent to gates) are keyed by ``executions.id``; the shared cache and its ``cache_serialize``
reservations by the cache key. Each record column holds the model JSON of one small thing: a node,
an attempt, an event. Nothing grows with the size of a run except the number of rows.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
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
    "AttemptRow",
    "AuditRow",
    "BundleRow",
    "CacheEntryRow",
    "CacheReservationRow",
    "CollectedPrefixRow",
    "EventRow",
    "EntityRow",
    "ExecutionRow",
    "GrantRow",
    "LineageRow",
    "LoginLinkRow",
    "NodeExecutionRow",
    "NotificationRow",
    "ProjectRow",
    "PromotionRow",
    "ScheduleRow",
    "ScheduleTickRow",
    "SettingsRow",
    "SignalRow",
    "TokenRow",
    "UserRow",
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
        Index("ix_entities_bundle", "bundle"),
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
    __table_args__ = (UniqueConstraint("project", "domain", "target"),)

    id: Mapped[int] = mapped_column(_Id, primary_key=True, autoincrement=True)
    project: Mapped[str] = mapped_column(String(64), ForeignKey("projects.name"))
    domain: Mapped[str] = mapped_column(String(64), default="")
    target: Mapped[str] = mapped_column(String(300), default="", server_default="")
    """``workflow:NAME`` or ``launch_plan:NAME`` for settings of one of them; "" otherwise."""
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
        Index("ix_executions_updated_at", "updated_at"),
        Index("ix_executions_cluster_lease", "cluster", "phase", "lease_expires"),
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
    parent_id: Mapped[int | None] = mapped_column(_Id, nullable=True)
    """The execution whose launch plan node started this one (a child execution)."""
    parent_node: Mapped[str] = mapped_column(String(512), default="")
    launched_by: Mapped[str] = mapped_column(String(255), default="")
    cluster: Mapped[str] = mapped_column(String(64), default="local", server_default="local")
    """The cluster this execution is routed to: only its engine hosts claim it."""
    route: Mapped[str] = mapped_column(String(1024), default="", server_default="")
    """The clusters it may run on, in order, comma-separated (failover goes down the list)."""


class ClusterRow(Base):
    """A compute cluster known to the control plane."""

    __tablename__ = "clusters"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[float] = mapped_column(Float)
    store_url: Mapped[str] = mapped_column(String(1024), default="", server_default="")
    """The blob store its hosts last reported (where the outputs they wrote live)."""


class ClusterHostRow(Base):
    """An engine host of a cluster, as of its last heartbeat."""

    __tablename__ = "cluster_hosts"
    __table_args__ = (Index("ix_cluster_hosts_cluster", "cluster", "heartbeat_at"),)

    owner: Mapped[str] = mapped_column(String(255), primary_key=True)
    cluster: Mapped[str] = mapped_column(String(64))
    hostname: Mapped[str] = mapped_column(String(255))
    runner: Mapped[str] = mapped_column(String(1024))
    capacity: Mapped[str] = mapped_column(Text)
    """JSON: ``{"cpus": .., "memory": bytes, "gpus": .., "slots": ..}``."""
    running: Mapped[int] = mapped_column(Integer)
    executions: Mapped[int] = mapped_column(Integer)
    lease_s: Mapped[float] = mapped_column(Float)
    store_url: Mapped[str] = mapped_column(String(1024))
    started_at: Mapped[float] = mapped_column(Float)
    heartbeat_at: Mapped[float] = mapped_column(Float)


class NodeExecutionRow(Base):
    """One node execution of an execution, by path (``n2``, ``n3/dyn/n0``, ``n4[17]``).

    ``record`` is the ``NodeRecord`` JSON; outputs over the offload size live in the blob store.
    """

    __tablename__ = "node_executions"
    __table_args__ = (UniqueConstraint("execution_id", "path"),)

    id: Mapped[int] = mapped_column(_Id, primary_key=True, autoincrement=True)
    execution_id: Mapped[int] = mapped_column(_Id, ForeignKey("executions.id"))
    path: Mapped[str] = mapped_column(String(512))
    phase: Mapped[str] = mapped_column(String(32))
    record: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[float] = mapped_column(Float)


class AttemptRow(Base):
    """One attempt of a task node (or map item): the ``AttemptRecord`` JSON."""

    __tablename__ = "attempts"
    __table_args__ = (UniqueConstraint("execution_id", "node", "number"),)

    id: Mapped[int] = mapped_column(_Id, primary_key=True, autoincrement=True)
    execution_id: Mapped[int] = mapped_column(_Id, ForeignKey("executions.id"))
    node: Mapped[str] = mapped_column(String(512))
    number: Mapped[int] = mapped_column(Integer)
    phase: Mapped[str] = mapped_column(String(32))
    record: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[float] = mapped_column(Float)


class EventRow(Base):
    """The append-only event log of executions: phase changes and actions, for audit and lineage."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_execution_id", "execution_id", "id"),)

    id: Mapped[int] = mapped_column(_Id, primary_key=True, autoincrement=True)
    execution_id: Mapped[int] = mapped_column(_Id, ForeignKey("executions.id"))
    at: Mapped[float] = mapped_column(Float)
    kind: Mapped[str] = mapped_column(String(32))
    node: Mapped[str] = mapped_column(String(512), default="")
    actor: Mapped[str] = mapped_column(String(255), default="")
    payload: Mapped[str] = mapped_column(Text, default="{}")


class SignalRow(Base):
    """A value sent to a gate of an execution (``slipstream signal``); one per name."""

    __tablename__ = "signals"
    __table_args__ = (UniqueConstraint("execution_id", "name"),)

    id: Mapped[int] = mapped_column(_Id, primary_key=True, autoincrement=True)
    execution_id: Mapped[int] = mapped_column(_Id, ForeignKey("executions.id"))
    name: Mapped[str] = mapped_column(String(255))
    value: Mapped[str] = mapped_column(Text)
    sent_by: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[float] = mapped_column(Float)


class CacheEntryRow(Base):
    """Cached task outputs, shared by the executions of a project and domain (the key hashes both)."""

    __tablename__ = "cache_entries"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    project: Mapped[str] = mapped_column(String(64))
    domain: Mapped[str] = mapped_column(String(64))
    task: Mapped[str] = mapped_column(String(255))
    outputs: Mapped[str] = mapped_column(Text)
    """The outputs' JSON, or empty when they are in the blob store at ``outputs_uri``."""
    outputs_uri: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    """When the entry stops being a hit (the task's ``cache_ttl``); None: never."""


class CacheReservationRow(Base):
    """Who computes a ``cache_serialize`` key now, until when (renewed while it runs)."""

    __tablename__ = "cache_reservations"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    owner: Mapped[str] = mapped_column(String(255))
    expires: Mapped[float] = mapped_column(Float)


class UserRow(Base):
    """A user of the API; tokens authenticate them and grants give them roles."""

    __tablename__ = "users"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Float)


class GrantRow(Base):
    """A user's role on a project (``*``: every project) and one domain or (``""``) all."""

    __tablename__ = "grants"
    __table_args__ = (UniqueConstraint("user", "project", "domain"),)

    id: Mapped[int] = mapped_column(_Id, primary_key=True, autoincrement=True)
    user: Mapped[str] = mapped_column(String(64), ForeignKey("users.name"))
    project: Mapped[str] = mapped_column(String(64))
    domain: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Float)


class TokenRow(Base):
    """An API token: its public id and the SHA-256 of its secret (the secret is never stored)."""

    __tablename__ = "tokens"
    __table_args__ = (Index("ix_tokens_user", "user"), Index("ix_tokens_parent", "parent"))

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user: Mapped[str] = mapped_column(String(64), ForeignKey("users.name"))
    secret_hash: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(255), default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    revoked_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    parent: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """The token that made this one (None: made by the server); revoked with it."""
    scope: Mapped[str] = mapped_column(String(80), default="", server_default="")
    """What the token may reach: "" everything its user's grants allow; "metrics" only
    ``GET /metrics`` (a scraper's)."""


class LoginLinkRow(Base):
    """A one-time console login link: the SHA-256 of its code (never the code), whose token made
    it, until when it may be used, and when it was used (once)."""

    __tablename__ = "login_links"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user: Mapped[str] = mapped_column(String(64), ForeignKey("users.name"))
    token: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float)
    used_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class AuditRow(Base):
    """The append-only record of every successful write to the API: who, what, when."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_caller_id", "caller", "id"),)

    id: Mapped[int] = mapped_column(_Id, primary_key=True, autoincrement=True)
    caller: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(Text)
    status: Mapped[int] = mapped_column(Integer)
    at: Mapped[float] = mapped_column(Float)


class ScheduleRow(Base):
    """The schedule of a launch plan name: which version is active, and the next tick due.

    One row per launch plan name, so one version at most is active. ``schedule`` is the
    ``Schedule`` model JSON of the active (or last active) version; ``next_at`` the epoch time
    of the next tick not yet claimed. Schedulers advance ``next_at`` with a compare-and-set.
    """

    __tablename__ = "schedules"
    __table_args__ = (
        UniqueConstraint("project", "domain", "name"),
        Index("ix_schedules_due", "active", "next_at"),
    )

    id: Mapped[int] = mapped_column(_Id, primary_key=True, autoincrement=True)
    project: Mapped[str] = mapped_column(String(64), ForeignKey("projects.name"))
    domain: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    version: Mapped[str] = mapped_column(String(128))
    active: Mapped[bool] = mapped_column(Boolean)
    schedule: Mapped[str] = mapped_column(Text)
    next_at: Mapped[float] = mapped_column(Float)
    activated_by: Mapped[str] = mapped_column(String(255), default="")
    updated_at: Mapped[float] = mapped_column(Float)


class ScheduleTickRow(Base):
    """One claimed tick of a schedule (or of a backfill) and the execution made for it.

    The unique key on (launch plan, tick time) is what makes a tick run once, whichever
    scheduler claims it; ``execution`` is the name of the execution (derived from the key),
    empty until it was created.
    """

    __tablename__ = "schedule_ticks"
    __table_args__ = (
        UniqueConstraint("project", "domain", "name", "tick_at"),
        Index("ix_schedule_ticks_state", "state", "id"),
    )

    id: Mapped[int] = mapped_column(_Id, primary_key=True, autoincrement=True)
    project: Mapped[str] = mapped_column(String(64), ForeignKey("projects.name"))
    domain: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    version: Mapped[str] = mapped_column(String(128))
    tick_at: Mapped[float] = mapped_column(Float)
    origin: Mapped[str] = mapped_column(String(16))
    """``schedule`` or ``backfill``."""
    state: Mapped[str] = mapped_column(String(16))
    """``pending`` (claimed, execution not made yet), ``created``, ``failed``, or ``cancelled``
    (a scheduled tick whose schedule was deactivated before it ran)."""
    execution: Mapped[str] = mapped_column(String(64), default="")
    error: Mapped[str] = mapped_column(Text, default="")
    not_before: Mapped[float] = mapped_column(Float, default=0.0)
    """Backfill pacing: the tick's execution is made no earlier than this."""
    created_at: Mapped[float] = mapped_column(Float)


class NotificationRow(Base):
    """One notification of an execution's terminal phase to one recipient, and its delivery.

    ``state`` is ``pending`` (to send at ``next_at``), ``sent`` or ``failed`` (retries spent);
    ``last_error`` says why the last try failed. A sender holds a row while it tries it
    (``claimed_by`` until ``claim_expires``) so that two servers never send it twice at once.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("execution_id", "kind", "recipient"),
        Index("ix_notifications_due", "state", "next_at"),
        Index("ix_notifications_listing", "project", "domain", "id"),
    )

    id: Mapped[int] = mapped_column(_Id, primary_key=True, autoincrement=True)
    execution_id: Mapped[int] = mapped_column(_Id, ForeignKey("executions.id"))
    project: Mapped[str] = mapped_column(String(64))
    domain: Mapped[str] = mapped_column(String(64))
    execution: Mapped[str] = mapped_column(String(64))
    phase: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(1024))
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[float] = mapped_column(Float)
    last_error: Mapped[str] = mapped_column(Text, default="")
    claimed_by: Mapped[str] = mapped_column(String(255), default="")
    claim_expires: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[float] = mapped_column(Float)
    sent_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class LineageRow(Base):
    """A blob URI a node execution wrote (``role`` output) or read (input): the lineage index.

    Written with the node's records when they are flushed (its inputs once the node ended, its
    outputs once it succeeded; an execution's own inputs with node ``""``). ``uri_key`` is the
    SHA-256 of the URI in normal form, what lookups go through. Rows go with their execution
    (``ON DELETE CASCADE``).
    """

    __tablename__ = "lineage"
    __table_args__ = (
        UniqueConstraint("execution_id", "node", "role", "uri_key"),
        Index("ix_lineage_uri_key", "uri_key", "id"),
    )

    id: Mapped[int] = mapped_column(_Id, primary_key=True, autoincrement=True)
    execution_id: Mapped[int] = mapped_column(_Id, ForeignKey("executions.id", ondelete="CASCADE"))
    node: Mapped[str] = mapped_column(String(512))
    role: Mapped[str] = mapped_column(String(8))
    uri_key: Mapped[str] = mapped_column(String(64))
    uri: Mapped[str] = mapped_column(Text)
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    cache: Mapped[str] = mapped_column(String(16), default="")
    at: Mapped[float] = mapped_column(Float)


class CollectedPrefixRow(Base):
    """The data folder of a collected execution, whose blobs are still to delete.

    Written in the transaction that deletes the execution's rows, and removed once every blob
    under ``prefix`` is gone (blobs a kept execution or cache entry points at stay, and so does
    the row, so that a later collection looks again). Blobs are deleted only ``grace`` seconds
    after ``collected_at``, so that a run that read one of their URIs just before has recorded it.
    """

    __tablename__ = "collected_prefixes"

    prefix: Mapped[str] = mapped_column(String(1024), primary_key=True)
    project: Mapped[str] = mapped_column(String(64))
    domain: Mapped[str] = mapped_column(String(64))
    execution: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Float)
    """When the execution was created: only what was recorded after can point into its data."""
    collected_at: Mapped[float] = mapped_column(Float)
