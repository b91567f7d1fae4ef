"""The clusters the control plane knows and the heartbeats of their engine hosts.

A cluster is a name (made by an engine host's first heartbeat, a cluster token, or
:func:`ensure`); a host is a row of ``cluster_hosts`` that its heartbeats keep fresh. A cluster is
*live* while one of its hosts heartbeated within that host's own lease time: the time after which
other hosts may take its executions anyway.
"""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import Connection, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .._database import ClusterHostRow, ClusterRow, Database
from ._names import DEFAULT_CLUSTER, check_cluster

__all__ = ["ensure", "forget_host", "known_clusters", "live_clusters", "record_heartbeat"]

_CAPACITY_KEYS = ("cpus", "memory", "gpus", "slots")


def _insert(dialect: str) -> Any:
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def _dialect(target: Session | Connection) -> str:
    bind = target.get_bind() if isinstance(target, Session) else target
    return bind.dialect.name


def ensure(target: Session | Database, name: str) -> None:
    """Register the cluster ``name`` (checked) if it is not known yet; idempotent."""
    check_cluster(name)
    if isinstance(target, Database):
        with target.session() as session:
            ensure(session, name)
        return
    stmt = (
        _insert(_dialect(target))(ClusterRow)
        .values(name=name, created_at=time.time(), store_url="")
        .on_conflict_do_nothing(index_elements=["name"])
    )
    target.execute(stmt)


def record_heartbeat(
    db: Database,
    *,
    owner: str,
    cluster: str,
    hostname: str,
    runner: str,
    capacity: dict[str, Any],
    running: int,
    executions: int,
    lease_s: float,
    store_url: str,
    started_at: float,
) -> None:
    """One heartbeat of the engine host ``owner`` of ``cluster``: its row made or refreshed (in
    one transaction with the cluster's, whose blob store becomes the one this host reports)."""
    check_cluster(cluster)
    now = time.time()
    kept = {k: capacity[k] for k in _CAPACITY_KEYS if k in capacity}
    host = {
        "cluster": cluster,
        "hostname": hostname[:255],
        "runner": runner[:1024],
        "capacity": json.dumps(kept, sort_keys=True),
        "running": int(running),
        "executions": int(executions),
        "lease_s": float(lease_s),
        "store_url": store_url[:1024],
        "started_at": float(started_at),
        "heartbeat_at": now,
    }
    insert = _insert(db.dialect)
    with db.engine.begin() as conn:
        row = insert(ClusterRow).values(name=cluster, created_at=now, store_url=store_url[:1024])
        conn.execute(
            row.on_conflict_do_update(
                index_elements=["name"], set_={"store_url": row.excluded.store_url}
            )
            if store_url
            else row.on_conflict_do_nothing(index_elements=["name"])
        )
        stmt = insert(ClusterHostRow).values(owner=owner[:255], **host)
        conn.execute(stmt.on_conflict_do_update(index_elements=["owner"], set_=host))


def forget_host(db: Database, owner: str) -> None:
    """Drop the row of a host that stopped cleanly (its cluster stays known)."""
    with db.engine.begin() as conn:
        conn.execute(delete(ClusterHostRow).where(ClusterHostRow.owner == owner))


def live_clusters(conn: Connection | Session, now: float | None = None) -> set[str]:
    """The clusters with a host that heartbeated within its lease time (as of ``now``)."""
    at = time.time() if now is None else now
    stmt = (
        select(ClusterHostRow.cluster)
        .where(ClusterHostRow.heartbeat_at + ClusterHostRow.lease_s >= at)
        .distinct()
    )
    return {r[0] for r in conn.execute(stmt)}


def known_clusters(conn: Connection | Session) -> set[str]:
    """Every registered cluster, and the default one (always known: ``slipstream server``
    embeds its host)."""
    return {DEFAULT_CLUSTER, *(r[0] for r in conn.execute(select(ClusterRow.name)))}
