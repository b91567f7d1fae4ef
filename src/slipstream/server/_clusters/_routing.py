"""Routing at launch: the cluster an execution goes to, and whether any routed cluster can run
its tasks.

A route is checked against the registered clusters (an unknown name is refused, naming it) and
placed on its first live cluster, else its first. A task asking for more CPUs, memory or GPUs
than any host of the routed clusters reported is refused at launch, naming the resource: it
would wait forever. A cluster none of whose hosts was ever seen is not checked (it may have
anything), so a route naming one never refuses for resources.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from slipstream.errors import ValidationError
from slipstream.model import TaskTemplate, parse_quantity

from .._database import ClusterHostRow
from ._hosts import known_clusters, live_clusters
from ._names import check_route

__all__ = ["Placement", "check_resources", "place"]

_RESOURCES = (("cpu", "cpus", "CPUs"), ("mem", "memory", "memory"), ("gpu", "gpus", "GPUs"))
"""(task request field, host capacity key, what to call it)."""


@dataclass(frozen=True)
class Placement:
    """Where a new execution goes: its route and the cluster it starts on."""

    route: tuple[str, ...]
    cluster: str


def place(session: Session, route: tuple[str, ...], now: float | None = None) -> Placement:
    """Check ``route`` (well formed, every cluster registered) and pick its first live cluster
    (else its first)."""
    route = check_route(route, "cluster")
    known = known_clusters(session)
    unknown = [c for c in route if c not in known]
    if unknown:
        raise ValidationError(
            f"unknown cluster{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} in the "
            f"route {', '.join(route)}: the known clusters are {', '.join(sorted(known))}",
            details={"field": "cluster", "unknown": unknown, "known": sorted(known)},
        )
    live = live_clusters(session, now)
    return Placement(route, next((c for c in route if c in live), route[0]))


def _asked(task: TaskTemplate) -> dict[str, Decimal]:
    """What one attempt of ``task`` asks for: its requests, else its limits, per resource."""
    out = {}
    for field, _, _ in _RESOURCES:
        value = getattr(task.requests, field) or getattr(task.limits, field)
        if value is not None:
            out[field] = parse_quantity(value, field=f"{task.id.name}.{field}")
    return out


def _host_limits(text: str) -> dict[str, Decimal]:
    try:
        raw: Any = json.loads(text)
    except ValueError:
        return {}
    if not isinstance(raw, dict):
        return {}
    return {
        key: Decimal(str(raw[key]))
        for _, key, _ in _RESOURCES
        if isinstance(raw.get(key), (int, float)) and not isinstance(raw.get(key), bool)
    }


def _lacking(asked: dict[str, Decimal], host: dict[str, Decimal]) -> list[str]:
    """The resources (task field names) ``host`` has less of than ``asked`` (a resource the host
    did not report is not checked)."""
    return [
        field
        for field, key, _ in _RESOURCES
        if field in asked and key in host and asked[field] > host[key]
    ]


def check_resources(
    session: Session,
    route: tuple[str, ...],
    tasks: Iterable[TaskTemplate],
    now: float | None = None,
) -> None:
    """Refuse a task that no host of the routed clusters can run (see the module docstring):
    each cluster is judged by its live hosts, or by its hosts' last heartbeats when none is."""
    asks = [(t, a) for t in tasks if (a := _asked(t))]
    if not asks:
        return
    at = time.time() if now is None else now
    rows = session.execute(
        select(
            ClusterHostRow.cluster,
            ClusterHostRow.capacity,
            ClusterHostRow.heartbeat_at + ClusterHostRow.lease_s,
        ).where(ClusterHostRow.cluster.in_(route))
    ).all()
    hosts: dict[str, list[dict[str, Decimal]]] = {}
    for cluster in route:
        mine = [r for r in rows if r[0] == cluster]
        if not mine:
            return  # a cluster never seen is not checked: it may run anything
        alive = [r for r in mine if r[2] >= at]
        hosts[cluster] = [_host_limits(r[1]) for r in (alive or mine)]
    for task, asked in asks:
        lacking = [_lacking(asked, h) for hs in hosts.values() for h in hs]
        if any(not missing for missing in lacking):
            continue
        field, key, label = next(r for r in _RESOURCES if any(r[0] in m for m in lacking))
        text = getattr(task.requests, field) or getattr(task.limits, field)
        has = "; ".join(
            f"{c}: {max((h[key] for h in hs if key in h), default=0)}" for c, hs in hosts.items()
        )
        raise ValidationError(
            f"task {task.id.name} asks for {text} {label} ({field}): no host of cluster"
            f"{'s' if len(route) > 1 else ''} {', '.join(route)} has that much (the most "
            f"{label} per host: {has})",
            details={
                "task": task.id.name,
                "resource": field,
                "asked": text,
                "clusters": list(route),
            },
        )
