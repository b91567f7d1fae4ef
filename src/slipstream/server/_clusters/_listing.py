"""What ``GET /api/v1/clusters`` lists: every cluster with its hosts, capacity, load and queue."""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import func, select

from slipstream.model import Cluster, ClusterCapacity, ClusterHost, ExecutionPhase

from .._database import ClusterHostRow, ClusterRow, Database, ExecutionRow
from ._names import DEFAULT_CLUSTER

__all__ = ["capacity_of", "list_clusters"]


def capacity_of(text: str) -> ClusterCapacity:
    """A host's capacity from its stored JSON (what is missing or malformed counts as 0)."""
    try:
        raw: Any = json.loads(text)
    except ValueError:
        raw = {}
    if not isinstance(raw, dict):
        raw = {}

    def number(key: str) -> float:
        value = raw.get(key, 0)
        return float(value) if isinstance(value, (int, float)) and value > 0 else 0.0

    return ClusterCapacity(
        cpus=number("cpus"),
        memory=int(number("memory")),
        gpus=int(number("gpus")),
        slots=int(number("slots")),
    )


def _total(capacities: list[ClusterCapacity]) -> ClusterCapacity:
    return ClusterCapacity(
        cpus=sum(c.cpus for c in capacities),
        memory=sum(c.memory for c in capacities),
        gpus=sum(c.gpus for c in capacities),
        slots=sum(c.slots for c in capacities),
    )


def list_clusters(db: Database, now: float | None = None) -> list[Cluster]:
    """Every known cluster by name, its hosts newest heartbeat first (dead ones too, until they
    are forgotten), with totals over its live hosts and its queue depth."""
    at = time.time() if now is None else now
    with db.engine.connect() as conn:
        clusters = {r.name: r for r in conn.execute(select(ClusterRow))}
        hosts = list(
            conn.execute(select(ClusterHostRow).order_by(ClusterHostRow.heartbeat_at.desc()))
        )
        queued = dict(
            conn.execute(
                select(ExecutionRow.cluster, func.count())
                .where(ExecutionRow.phase == ExecutionPhase.QUEUED.value)
                .group_by(ExecutionRow.cluster)
            ).all()
        )
    by_cluster: dict[str, list[ClusterHost]] = {}
    for h in hosts:
        by_cluster.setdefault(h.cluster, []).append(
            ClusterHost(
                owner=h.owner,
                hostname=h.hostname,
                runner=h.runner,
                capacity=capacity_of(h.capacity),
                running=h.running,
                executions=h.executions,
                lease_s=h.lease_s,
                started_at=h.started_at,
                heartbeat_at=h.heartbeat_at,
                alive=h.heartbeat_at + h.lease_s >= at,
                store_url=h.store_url,
            )
        )
    names = sorted({DEFAULT_CLUSTER, *clusters, *by_cluster, *queued})
    out = []
    for name in names:
        members = by_cluster.get(name, [])
        live = [h for h in members if h.alive]
        row = clusters.get(name)
        out.append(
            Cluster(
                name=name,
                alive=bool(live),
                hosts=tuple(members),
                capacity=_total([h.capacity for h in live]),
                running=sum(h.running for h in live),
                queued=int(queued.get(name, 0)),
                heartbeat_at=max((h.heartbeat_at for h in members), default=None),
                store_url=row.store_url if row is not None else "",
                created_at=row.created_at if row is not None else 0.0,
            )
        )
    return out
