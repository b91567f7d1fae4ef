"""The engine's state store on the server: records buffered in memory, written in batches.

The engine saves a node record at every phase change and an attempt record at every result; one
transaction per save would cap a server at a few hundred task completions a second on SQLite. So a
:class:`DbStateStore` only encodes and buffers what it is given, and :func:`~._flush.flush` writes
the buffers of every running execution in one transaction per step of the engine host's loop.
Records are encoded at save time because the engine keeps changing its (mutable) node records.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

import msgspec
from sqlalchemy import select

from slipstream.model import (
    AttemptRecord,
    ExecutionId,
    ExecutionRecord,
    NodeRecord,
    decode,
    encode,
)

from .._database import AttemptRow, Database, NodeExecutionRow
from .._metrics import NO_METRICS
from ._offload import Offloader, load_spec

__all__ = ["Buffered", "DbStateStore", "Pending", "StoredRows", "stored_rows"]

StoredRows = tuple[list[tuple[str, str]], list[tuple[str, int, str]]]
"""An execution's stored records: (path, node JSON) and (node, number, attempt JSON)."""


def stored_rows(db: Database, pk: int) -> StoredRows:
    """The node and attempt records stored for execution ``pk``."""
    with db.engine.connect() as conn:
        nodes = conn.execute(
            select(NodeExecutionRow.path, NodeExecutionRow.record).where(
                NodeExecutionRow.execution_id == pk
            )
        ).all()
        attempts = conn.execute(
            select(AttemptRow.node, AttemptRow.number, AttemptRow.record)
            .where(AttemptRow.execution_id == pk)
            .order_by(AttemptRow.node, AttemptRow.number)
        ).all()
    return [(p, r) for p, r in nodes], [(n, k, r) for n, k, r in attempts]


@dataclass
class Pending:
    """What one store has buffered since its last flush (taken whole by the flush)."""

    execution: tuple[str, str, bool] | None = None
    """(phase, record JSON, whether the phase is terminal) of the latest execution save."""
    nodes: dict[str, tuple[str, str]] = field(default_factory=dict)
    """path -> (phase, record JSON); the latest save of a path wins."""
    attempts: dict[tuple[str, int], tuple[str, str]] = field(default_factory=dict)
    """(node, number) -> (phase, record JSON); the latest save wins."""
    events: list[tuple[float, str, str, str]] = field(default_factory=list)
    """(at, kind, node, payload JSON), in the order they happened."""

    def __bool__(self) -> bool:
        return bool(self.execution or self.nodes or self.attempts or self.events)

    def merge_newer(self, newer: Pending) -> None:
        """Put ``newer`` (saved after this batch was taken) on top of this one."""
        if newer.execution is not None:
            self.execution = newer.execution
        self.nodes.update(newer.nodes)
        self.attempts.update(newer.attempts)
        self.events.extend(newer.events)


class Buffered(Protocol):
    """What a flush takes records from: one execution's buffer (a host's store, or a batch a
    data plane sent)."""

    execution_pk: int
    lost: bool

    @property
    def dirty(self) -> bool: ...

    def take(self) -> Pending: ...

    def give_back(self, batch: Pending) -> None: ...

    def mark_lost(self) -> None: ...


class DbStateStore:
    """The :class:`~slipstream.engine.StateStore` of one execution on the server.

    ``execution_pk`` is the ``executions.id`` of ``execution``. Outputs (and inputs) of a record
    that would encode to more than ``offload_bytes`` are written under the execution's prefix in
    the blob store at ``blob_store_url``; the record keeps ``outputs_uri`` (read it back with
    :func:`load_outputs`). Once a flush finds that another engine host took the execution's lease,
    :attr:`lost` is set and later saves are dropped.

    ``source`` is where stored records are read from: the database, or (a data plane) a function
    asking the control plane. ``cluster`` is written on every attempt record (where it ran).
    """

    def __init__(
        self,
        source: Database | Callable[[int], StoredRows],
        execution_pk: int,
        execution: ExecutionId,
        blob_store_url: str,
        offload_bytes: int = 1 << 20,
        cluster: str = "",
    ) -> None:
        if isinstance(source, Database):
            db = source
            self._read: Callable[[int], StoredRows] = lambda pk: stored_rows(db, pk)
        else:
            self._read = source
        self.cluster = cluster
        self.execution_pk = execution_pk
        self.execution = execution
        self.lost = False
        self._offload = Offloader(blob_store_url, execution, offload_bytes)
        self._pending = Pending()
        self._exec_phase = ""
        self._node_phases: dict[str, str] = {}
        self.metrics = NO_METRICS
        """Where ended attempts are counted (the engine host gives its server's)."""
        self._ready_at: dict[tuple[str, int], float] = {}

    def __repr__(self) -> str:
        return f"DbStateStore({self.execution}, pk={self.execution_pk})"

    # -- StateStore ---------------------------------------------------------------------------------

    def save_execution(self, record: ExecutionRecord) -> None:
        """Buffer the execution's record (and an event when its phase changed)."""
        self._check(record.id)
        if self.lost:
            return
        record, data = self._offload.execution(record, encode(record))
        phase = record.phase.value
        if phase != self._exec_phase:
            payload = {"phase": phase, "from": self._exec_phase}
            if record.error is not None:
                payload["error"] = record.error.code
            self._event("execution_phase", "", payload)
            self._exec_phase = phase
        self._pending.execution = (phase, data.decode(), record.phase.terminal)

    def save_node(self, execution: ExecutionId, record: NodeRecord) -> None:
        """Buffer a copy of a node record as it is now; map items get no events."""
        self._check(execution)
        if self.lost:
            return
        data = self._offload.node(record, encode(record))
        path = record.path
        phase = record.phase.value
        if "[" not in path:
            before = self._node_phases.get(path, "")
            if phase != before:
                payload = {"phase": phase, "from": before}
                if record.error is not None:
                    payload["error"] = record.error.code
                self._event("node_phase", path, payload)
                self._node_phases[path] = phase
        self._pending.nodes[path] = (phase, data.decode())

    def save_attempt(self, execution: ExecutionId, record: AttemptRecord) -> None:
        """Buffer an attempt record; the latest save of (node, number) wins."""
        self._check(execution)
        if self.lost:
            return
        if record.cluster != self.cluster:
            record = msgspec.structs.replace(record, cluster=self.cluster)
        self._pending.attempts[(record.node, record.number)] = (
            record.phase.value,
            encode(record).decode(),
        )
        self.metrics.attempt_saved(self.execution, record, self._ready_at)

    def nodes(self, execution: ExecutionId) -> Iterable[NodeRecord]:
        """Every node record of the execution: stored ones, overlaid with unflushed saves.

        Offloaded generated specs are read back (resuming needs them); offloaded outputs and
        inputs stay in the blob store until :func:`load_outputs` or :func:`load_inputs` asks.
        """
        self._check(execution)
        rows, _ = self._read(self.execution_pk)
        records = dict(rows)
        records.update({path: rec for path, (_, rec) in self._pending.nodes.items()})
        out = [decode(r, NodeRecord) for r in records.values()]
        for rec in out:  # a resumed @dynamic node needs the workflow it generated
            if rec.spec_uri and not rec.spec:
                rec.spec = load_spec(rec)
        for rec in out:  # a resumed execution's events continue from what is stored
            if "[" not in rec.path:
                self._node_phases.setdefault(rec.path, rec.phase.value)
        return out

    def attempts(self, execution: ExecutionId) -> list[AttemptRecord]:
        """Every attempt record of the execution (stored, overlaid with unflushed saves)."""
        self._check(execution)
        _, rows = self._read(self.execution_pk)
        records = {(node, number): record for node, number, record in rows}
        records.update({k: rec for k, (_, rec) in self._pending.attempts.items()})
        return [decode(records[k], AttemptRecord) for k in sorted(records)]

    def note(self, kind: str, node: str, payload: dict[str, str]) -> None:
        """Buffer an event of the execution (``outputs_unreadable``: see ``_moved``)."""
        if not self.lost:
            self._event(kind, node, payload)

    # -- for flush ------------------------------------------------------------------------------------

    @property
    def dirty(self) -> bool:
        """Whether anything is buffered."""
        return bool(self._pending)

    def take(self) -> Pending:
        """Hand the buffered changes to a flush; new saves start a new buffer."""
        batch, self._pending = self._pending, Pending()
        return batch

    def give_back(self, batch: Pending) -> None:
        """A flush failed: keep ``batch`` for the next one, under anything saved since."""
        batch.merge_newer(self._pending)
        self._pending = batch

    def mark_lost(self) -> None:
        """Another engine host holds the lease now: drop the buffer and every later save."""
        self.lost = True
        self._pending = Pending()

    # -- helpers --------------------------------------------------------------------------------------

    def _check(self, execution: ExecutionId) -> None:
        if execution != self.execution:
            raise ValueError(f"{self!r} cannot store records of execution {execution}")

    def _event(self, kind: str, node: str, payload: dict[str, str]) -> None:
        self._pending.events.append((time.time(), kind, node, json.dumps(payload)))
