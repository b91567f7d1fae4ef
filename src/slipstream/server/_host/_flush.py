"""One transaction for a step of the engine host: the buffered writes of many executions.

Fencing: an engine host writes only for executions whose lease it still holds. In the same
transaction as the writes, the ``executions`` rows of the stores being flushed are checked (and,
on PostgreSQL, locked) for ``lease_owner = owner``; a store whose execution another host took over
has its writes dropped and is reported lost, so two hosts never both write one execution.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any, Protocol

from sqlalchemy import Boolean, Connection, and_, bindparam, or_, select, update

from slipstream.model import ENDS_ONLY

from .._database import (
    AttemptRow,
    CacheEntryRow,
    Database,
    EventRow,
    ExecutionRow,
    NodeExecutionRow,
)
from .._lineage import index_rows, write_index
from ._dialect import table_of, upsert
from ._store import Buffered, Pending

__all__ = ["Entries", "flush"]


class Entries(Protocol):
    """Cache entries buffered for a flush (a host's catalog, or those a data plane sent)."""

    def take(self) -> list[dict[str, Any]]: ...

    def give_back(self, rows: list[dict[str, Any]]) -> None: ...


_executions = table_of(ExecutionRow)
_ENDS_ONLY = sorted(p.value for p in ENDS_ONLY)  # computed from the phase table: ABORTING


def flush(
    db: Database,
    owner: str,
    stores: Iterable[Buffered],
    catalog: Entries | None = None,
    cluster: str | None = None,
) -> set[int]:
    """Write what ``stores`` (and ``catalog``) buffered, in one transaction.

    Returns the ``execution_pk`` of every store whose execution's lease ``owner`` no longer holds:
    their writes are dropped and the stores marked :attr:`~DbStateStore.lost`. Stores with nothing
    buffered are not checked (:func:`~._leases.renew` tells about those). While an execution's row
    says ABORTING (someone asked to abort it; a phase of ``model.ENDS_ONLY``), only a terminal
    phase replaces it. If the transaction fails, every buffer is kept for the next flush and the
    error propagates.
    With ``cluster``, only executions routed to it count as held (a data plane's writes).
    """
    stores = list(stores)
    lost = {s.execution_pk for s in stores if s.lost}
    batches = {s.execution_pk: (s, s.take()) for s in stores if not s.lost and s.dirty}
    entries = catalog.take() if catalog is not None else []
    if not batches and not entries:
        return lost
    try:
        with db.engine.begin() as conn:
            held = _held(db, conn, owner, list(batches), cluster)
            for pk in list(batches):
                if pk not in held:
                    store, _ = batches.pop(pk)
                    store.mark_lost()
                    lost.add(pk)
            _write(db, conn, [(pk, b) for pk, (_, b) in batches.items()], time.time())
            if entries:
                conn.execute(_upsert_entries(db), entries)
    except BaseException:
        for store, batch in batches.values():
            store.give_back(batch)
        if catalog is not None:
            catalog.give_back(entries)
        raise
    return lost


def _held(
    db: Database, conn: Connection, owner: str, pks: list[int], cluster: str | None
) -> set[int]:
    """The executions of ``pks`` whose lease ``owner`` holds, locked for this transaction."""
    if not pks:
        return set()
    t = _executions
    mine: tuple[Any, ...] = (t.c.id.in_(pks), t.c.lease_owner == owner)
    if cluster is not None:
        mine += (t.c.cluster == cluster,)
    if db.dialect == "postgresql":
        # locked in id order, so two transactions locking overlapping rows cannot deadlock
        rows = conn.execute(select(t.c.id).where(*mine).order_by(t.c.id).with_for_update()).all()
    else:
        # a write first, so this transaction holds SQLite's write lock from here to the commit
        rows = conn.execute(
            update(t).where(*mine).values(lease_owner=t.c.lease_owner).returning(t.c.id)
        ).all()
    return {r[0] for r in rows}


def _write(db: Database, conn: Connection, batches: list[tuple[int, Pending]], now: float) -> None:
    executions: list[dict[str, Any]] = []
    nodes: list[dict[str, Any]] = []
    attempts: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for pk, b in batches:
        if b.execution is not None:
            phase, record, terminal = b.execution
            executions.append(
                {
                    "b_pk": pk,
                    "b_phase": phase,
                    "b_record": record,
                    "b_now": now,
                    "b_final": terminal,
                }
            )
        nodes.extend(
            {"execution_id": pk, "path": path, "phase": phase, "record": rec, "updated_at": now}
            for path, (phase, rec) in b.nodes.items()
        )
        attempts.extend(
            {
                "execution_id": pk,
                "node": node,
                "number": number,
                "phase": phase,
                "record": rec,
                "updated_at": now,
            }
            for (node, number), (phase, rec) in b.attempts.items()
        )
        events.extend(
            {"execution_id": pk, "at": at, "kind": kind, "node": node, "actor": "", "payload": p}
            for at, kind, node, p in b.events
        )
    if executions:
        conn.execute(_update_executions, executions)
    if nodes:
        conn.execute(_upsert_nodes(db), nodes)
    if attempts:
        conn.execute(_upsert_attempts(db), attempts)
    if events:
        conn.execute(table_of(EventRow).insert(), events)
    lineage = [
        row
        for pk, b in batches
        for row in index_rows(pk, b.execution[1] if b.execution else None, b.nodes.values(), now)
    ]
    write_index(conn, db.dialect, lineage)


_update_executions = (
    update(_executions)
    .where(
        _executions.c.id == bindparam("b_pk"),
        or_(
            and_(*(_executions.c.phase != p for p in _ENDS_ONLY)),
            bindparam("b_final", type_=Boolean),
        ),
    )
    .values(phase=bindparam("b_phase"), record=bindparam("b_record"), updated_at=bindparam("b_now"))
)


def _upsert_nodes(db: Database) -> Any:
    return upsert(
        db,
        table_of(NodeExecutionRow),
        ("execution_id", "path"),
        ("phase", "record", "updated_at"),
    )


def _upsert_attempts(db: Database) -> Any:
    return upsert(
        db,
        table_of(AttemptRow),
        ("execution_id", "node", "number"),
        ("phase", "record", "updated_at"),
    )


def _upsert_entries(db: Database) -> Any:
    return upsert(
        db,
        table_of(CacheEntryRow),
        ("key",),
        (
            "project",
            "domain",
            "task",
            "outputs",
            "outputs_uri",
            "source",
            "created_at",
            "expires_at",
        ),
    )
