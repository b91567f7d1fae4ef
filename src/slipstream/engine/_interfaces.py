"""The three small interfaces the engine runs over, and what crosses them.

The engine is pure logic: it reads and writes records through a :class:`StateStore`, looks up cached
outputs in a :class:`Catalog` and hands task attempts to a :class:`Runner`. Local runs plug in
memory and SQLite implementations; the server plugs in its database and remote workers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from slipstream.model import (
    AttemptRecord,
    AttemptRequest,
    AttemptResult,
    ExecutionId,
    ExecutionRecord,
    Identifier,
    NodeRecord,
)

__all__ = [
    "AttemptRequest",
    "AttemptResult",
    "Catalog",
    "ChildExecutions",
    "Runner",
    "StateStore",
]


class StateStore(Protocol):
    """Durable (or in-memory) records of executions, nodes and attempts."""

    def save_execution(self, record: ExecutionRecord) -> None:
        """Insert or replace an execution record."""

    def save_node(self, execution: ExecutionId, record: NodeRecord) -> None:
        """Insert or replace a node record (by its path)."""

    def save_attempt(self, execution: ExecutionId, record: AttemptRecord) -> None:
        """Record an attempt; a later save of the same (node, number) replaces the earlier one."""

    def nodes(self, execution: ExecutionId) -> Iterable[NodeRecord]:
        """Every recorded node of an execution (used to resume)."""


class Catalog(Protocol):
    """Cached task outputs by cache key."""

    def get(self, key: str) -> dict[str, Any] | None:
        """The cached outputs for ``key``, or None."""

    def put(
        self,
        key: str,
        task: str,
        outputs: dict[str, Any],
        source: str,
        ttl_s: float | None = None,
    ) -> None:
        """Remember ``outputs`` under ``key``; with ``ttl_s``, a hit for that many seconds only."""

    def delete(self, key: str) -> None:
        """Forget ``key`` (its data is gone)."""

    def reserve(self, key: str, owner: str, ttl_s: float) -> bool:
        """Take the right to compute ``key`` (``cache_serialize``); False if another owner holds
        an unexpired reservation."""

    def release(self, key: str, owner: str) -> None:
        """Give a reservation back."""


class Runner(Protocol):
    """Runs task attempts somewhere: in this process, in warm worker processes, on Ray."""

    name: str

    @property
    def capacity(self) -> int:
        """How many attempts may run at once."""

    def submit(self, request: AttemptRequest) -> None:
        """Start an attempt; its result comes back from :meth:`wait`."""

    def wait(self, timeout: float | None) -> list[AttemptResult]:
        """Results of finished attempts; blocks until at least one or ``timeout`` seconds."""

    def cancel(self, node: str, attempt: int, execution: ExecutionId | None = None) -> None:
        """Stop an attempt that is running (best effort); ``execution`` tells apart the attempts
        of several executions that share one runner."""

    def close(self) -> None:
        """Release workers."""


class ChildExecutions(Protocol):
    """Where a launch plan node starts its launch plan as an execution of its own (the server).

    Without one (local runs), a launch plan node runs its workflow inline, as a subworkflow.
    """

    def start(
        self, parent: ExecutionId, node: str, launch_plan: Identifier, inputs: dict[str, Any]
    ) -> ExecutionId:
        """Start (or find, when it was already started) the child execution of ``node``."""

    def poll(self, child: ExecutionId) -> ExecutionRecord | None:
        """The child's final record once it ended (outputs loaded), else None."""

    def abort(self, child: ExecutionId, cause: str) -> None:
        """Ask the child to stop (nothing if it already ended)."""
