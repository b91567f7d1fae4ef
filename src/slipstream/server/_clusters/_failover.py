"""Failover: executions of a cluster whose hosts stopped heartbeating move down their route.

An execution waiting or running on a cluster that is not live (no host heartbeated within its
lease time) and whose lease is free or expired (no host drives it) moves to the next live cluster
of its route, after the one it is on, going round to the first. Its lease is left free, so a host
of that cluster claims it and resumes it from its recorded nodes, as a restarted host would: no
finished node runs again, and attempts that were in flight are retried as SYSTEM errors. With no
live cluster to go to, it stays where it is (and a cluster that never had a host keeps its queue
until one of the route's clusters has a live host). Each move is an event of the execution.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable

import msgspec
from sqlalchemy import Connection, func, insert, or_, select, update

from slipstream.model import ExecutionPhase, ExecutionRecord

from .._database import ClusterHostRow, Database, EventRow, ExecutionRow
from .._loops import Supervised, run_passes
from ._hosts import live_clusters
from ._names import parse_route

__all__ = ["MOVED_EVENT", "fail_over", "next_cluster", "start_failover"]

log = logging.getLogger("slipstream.clusters")

MOVED_EVENT = "cluster_moved"
"""The kind of the event that records a move (payload: from, to, reason)."""
_CLAIMABLE = (
    ExecutionPhase.QUEUED.value,
    ExecutionPhase.RUNNING.value,
    ExecutionPhase.ABORTING.value,
)
_BATCH = 500
_records = msgspec.json.Decoder(ExecutionRecord)


def _moved_record(text: str, cluster: str) -> str:
    """The stored record with the cluster it is routed to now."""
    record = msgspec.structs.replace(_records.decode(text), cluster=cluster)
    return msgspec.json.encode(record).decode()


def next_cluster(route: tuple[str, ...], current: str, live: set[str]) -> str | None:
    """The first live cluster of ``route`` after ``current`` (going round to its start), or None."""
    at = route.index(current) if current in route else -1
    for name in (*route[at + 1 :], *route[: max(at, 0)]):
        if name in live and name != current:
            return name
    return None


def _reasons(conn: Connection, clusters: set[str], now: float) -> dict[str, str]:
    last = dict(
        conn.execute(
            select(ClusterHostRow.cluster, func.max(ClusterHostRow.heartbeat_at))
            .where(ClusterHostRow.cluster.in_(clusters))
            .group_by(ClusterHostRow.cluster)
        ).all()
    )
    out = {}
    for name in clusters:
        if name in last:
            out[name] = (
                f"no host of cluster {name} heartbeated within its lease time "
                f"(last heartbeat {now - last[name]:.1f} s ago)"
            )
        else:
            out[name] = f"cluster {name} has no engine host"
    return out


def fail_over(db: Database, now: float | None = None) -> int:
    """Move what waits or runs on dead clusters to the next live one of each route (see the
    module docstring); returns how many executions moved."""
    at = time.time() if now is None else now
    free = or_(
        ExecutionRow.lease_owner.is_(None),
        ExecutionRow.lease_expires.is_(None),
        ExecutionRow.lease_expires <= at,
    )
    with db.engine.connect() as conn:
        live = live_clusters(conn, at)
        if not live:
            return 0
        rows = conn.execute(
            select(
                ExecutionRow.id,
                ExecutionRow.cluster,
                ExecutionRow.route,
                ExecutionRow.lease_owner,
                ExecutionRow.record,
            )
            .where(
                ExecutionRow.phase.in_(_CLAIMABLE),
                ExecutionRow.cluster.not_in(live),
                ExecutionRow.route != "",
                free,
            )
            .order_by(ExecutionRow.id)
            .limit(_BATCH)
        ).all()
        moves = []
        for pk, cluster, route, owner, text in rows:
            target = next_cluster(parse_route(route, cluster), cluster, live)
            if target is not None:
                moves.append((pk, cluster, target, owner, text))
        if not moves:
            return 0
        reasons = _reasons(conn, {m[1] for m in moves}, at)
    events: list[dict[str, object]] = []
    moved: Counter[tuple[str, str]] = Counter()
    with db.session() as session:
        for pk, cluster, target, owner, text in moves:
            # the same conditions again, and the record as read: a host that claimed it, ended
            # it or wrote its record since (then released it) keeps what it did
            result = session.execute(
                update(ExecutionRow)
                .where(
                    ExecutionRow.id == pk,
                    ExecutionRow.cluster == cluster,
                    ExecutionRow.phase.in_(_CLAIMABLE),
                    free,
                    ExecutionRow.record == text,
                )
                .values(
                    cluster=target,
                    record=_moved_record(text, target),
                    lease_owner=None,
                    lease_expires=None,
                    updated_at=at,
                )
                .execution_options(synchronize_session=False)
            )
            if getattr(result, "rowcount", 0) != 1:
                continue  # the next pass looks again
            payload = {"from": cluster, "to": target, "reason": reasons[cluster]}
            if owner:
                payload["lease_owner"] = owner
            events.append(
                {
                    "execution_id": pk,
                    "at": at,
                    "kind": MOVED_EVENT,
                    "node": "",
                    "actor": "control plane",
                    "payload": msgspec.json.encode(payload).decode(),
                }
            )
            moved[cluster, target] += 1
        if events:
            session.execute(insert(EventRow), events)
    for (cluster, target), n in sorted(moved.items()):
        log.warning(
            "%d executions moved from cluster %s to %s: %s", n, cluster, target, reasons[cluster]
        )
    return len(events)


def start_failover(db: Database, interval_s: float = 1.0) -> tuple[Callable[[], None], Supervised]:
    """Run :func:`fail_over` every ``interval_s`` in a supervised thread (a database away for a
    while is waited out with backoff); returns what stops it, and the loop (for health)."""
    stop = threading.Event()

    def body(beat: Callable[[], None]) -> None:
        # a pass that moved a full batch is busy: the next one runs at once
        run_passes("cluster failover", lambda: fail_over(db), stop, interval_s, log, beat)

    loop = Supervised("failover", body, log).start()

    def stopper() -> None:
        stop.set()
        loop.join(10)

    return stopper, loop
