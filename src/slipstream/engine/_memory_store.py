"""The in-memory state store of local runs."""

from __future__ import annotations

from collections.abc import Iterable

from slipstream.model import AttemptRecord, ExecutionId, ExecutionRecord, NodeRecord

__all__ = ["MemoryStateStore"]


class MemoryStateStore:
    """Keeps records in dicts. Node records are kept by reference: the engine owns them."""

    def __init__(self, keep_attempts: bool = True) -> None:
        self.executions: dict[ExecutionId, ExecutionRecord] = {}
        self._nodes: dict[ExecutionId, dict[str, NodeRecord]] = {}
        self.attempts: dict[ExecutionId, list[AttemptRecord]] = {}
        self._attempt_at: dict[tuple[ExecutionId, str, int], int] = {}
        self._keep_attempts = keep_attempts

    def save_execution(self, record: ExecutionRecord) -> None:
        self.executions[record.id] = record

    def save_node(self, execution: ExecutionId, record: NodeRecord) -> None:
        nodes = self._nodes.get(execution)
        if nodes is None:
            nodes = self._nodes[execution] = {}
        nodes[record.path] = record

    def save_attempt(self, execution: ExecutionId, record: AttemptRecord) -> None:
        """Append an attempt, or replace its earlier record (a running attempt that ended)."""
        if not self._keep_attempts:
            return
        records = self.attempts.setdefault(execution, [])
        key = (execution, record.node, record.number)
        at = self._attempt_at.get(key)
        if at is None:
            self._attempt_at[key] = len(records)
            records.append(record)
        else:
            records[at] = record

    def nodes(self, execution: ExecutionId) -> Iterable[NodeRecord]:
        return list(self._nodes.get(execution, {}).values())

    def node(self, execution: ExecutionId, path: str) -> NodeRecord | None:
        """One node record by path."""
        return self._nodes.get(execution, {}).get(path)
