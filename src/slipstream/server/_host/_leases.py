"""Leases: how several engine hosts share the executions of one database.

An execution is driven by the engine host named in its ``lease_owner`` until ``lease_expires``.
A host claims executions that are waiting or running and whose lease is free or expired, renews its
leases while it drives them, and releases them when they end. A host that dies stops renewing, and
once its leases expire another host claims its executions and resumes them from their records.
The lease carries the heartbeat: no table of hosts is needed. Every call is one statement.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from typing import Any

from sqlalchemy import or_, select, update

from slipstream.model import ExecutionPhase

from .._database import Database, ExecutionRow
from ._dialect import table_of

__all__ = ["abort_requested", "claim", "expire_dead_local", "release", "renew"]

_t = table_of(ExecutionRow)
CLAIMABLE = tuple(p.value for p in ExecutionPhase if not p.terminal)
"""Phases of executions that an engine host still has work to do for: those that have not ended
(QUEUED, RUNNING, ABORTING), from the phase table."""


def _of(cluster: str | None) -> tuple[Any, ...]:
    """The condition that an execution is routed to ``cluster`` (None: any)."""
    return () if cluster is None else (_t.c.cluster == cluster,)


def claim(
    db: Database, owner: str, lease_s: float, limit: int, cluster: str | None = None
) -> list[int]:
    """Take up to ``limit`` claimable executions (of ``cluster``), oldest first, whose lease is
    free or expired; returns their ids. Two hosts claiming at once never get the same execution:
    PostgreSQL skips the rows another claim has locked, SQLite runs one writer at a time."""
    _check(owner, lease_s)
    if limit <= 0:
        return []
    now = time.time()
    free = (
        select(_t.c.id)
        .where(
            *_of(cluster),
            _t.c.phase.in_(CLAIMABLE),
            or_(
                _t.c.lease_owner.is_(None), _t.c.lease_expires.is_(None), _t.c.lease_expires <= now
            ),
        )
        .order_by(_t.c.id)
        .limit(limit)
    )
    if db.dialect == "postgresql":
        free = free.with_for_update(skip_locked=True)
    stmt = (
        update(_t)
        .where(_t.c.id.in_(free.scalar_subquery()))
        .values(lease_owner=owner, lease_expires=now + lease_s)
        .returning(_t.c.id)
    )
    with db.engine.begin() as conn:
        return sorted(r[0] for r in conn.execute(stmt))


def renew(
    db: Database, owner: str, pks: Collection[int], lease_s: float, cluster: str | None = None
) -> set[int]:
    """Extend ``owner``'s leases of ``pks`` to ``lease_s`` from now; returns the ids it lost
    (another host holds them now, or they are gone)."""
    _check(owner, lease_s)
    if not pks:
        return set()
    stmt = (
        update(_t)
        .where(_t.c.id.in_(list(pks)), _t.c.lease_owner == owner, *_of(cluster))
        .values(lease_expires=time.time() + lease_s)
        .returning(_t.c.id)
    )
    with db.engine.begin() as conn:
        kept = {r[0] for r in conn.execute(stmt)}
    return set(pks) - kept


def release(db: Database, owner: str, pks: Collection[int], cluster: str | None = None) -> None:
    """Give up ``owner``'s leases of ``pks`` (those of other owners are left alone)."""
    if not pks:
        return
    with db.engine.begin() as conn:
        conn.execute(
            update(_t)
            .where(_t.c.id.in_(list(pks)), _t.c.lease_owner == owner, *_of(cluster))
            .values(lease_owner=None, lease_expires=None)
        )


def abort_requested(
    db: Database, owner: str, pks: Collection[int], cluster: str | None = None
) -> set[int]:
    """Which of ``owner``'s executions ``pks`` someone asked to abort (phase ABORTING)."""
    if not pks:
        return set()
    stmt = select(_t.c.id).where(
        _t.c.id.in_(list(pks)),
        _t.c.lease_owner == owner,
        _t.c.phase == ExecutionPhase.ABORTING.value,
        *_of(cluster),
    )
    with db.engine.connect() as conn:
        return {r[0] for r in conn.execute(stmt)}


def _check(owner: str, lease_s: float) -> None:
    if not owner:
        raise ValueError("a lease owner must have a name")
    if lease_s <= 0:
        raise ValueError(f"lease_s must be > 0, got {lease_s}")


def expire_dead_local(
    db: Database, hostname: str, alive: Callable[[int], bool], cluster: str | None = None
) -> int:
    """Expire at once the leases of engine hosts on this machine whose process is gone.

    Owners are named ``{hostname}:{pid}:{suffix}``; a host restarted after a crash then resumes
    its executions immediately instead of waiting for its old leases to run out. Returns how many
    leases it expired.
    """
    prefix = f"{hostname}:"
    stmt = (
        select(_t.c.lease_owner)
        .where(
            _t.c.lease_owner.is_not(None),
            _t.c.lease_owner.startswith(prefix, autoescape=True),
            _t.c.phase.in_(CLAIMABLE),
            *_of(cluster),
        )
        .distinct()
    )
    with db.engine.connect() as conn:
        owners = [r[0] for r in conn.execute(stmt)]
    dead = []
    for owner in owners:
        parts = owner[len(prefix) :].split(":")
        if parts and parts[0].isdigit() and not alive(int(parts[0])):
            dead.append(owner)
    if not dead:
        return 0
    with db.engine.begin() as conn:
        result = conn.execute(
            update(_t).where(_t.c.lease_owner.in_(dead), *_of(cluster)).values(lease_expires=0.0)
        )
    return int(result.rowcount or 0)
