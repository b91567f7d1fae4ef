"""The three small interfaces the engine runs over, and what crosses them.

The engine is pure logic: it reads and writes records through a :class:`StateStore`, looks up cached
outputs in a :class:`Catalog` and hands task attempts to a :class:`Runner`. Local runs plug in
memory and SQLite implementations; the server plugs in its database and remote workers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any, Protocol

import msgspec

from slipstream.model import (
    AttemptRecord,
    ErrorInfo,
    ExecutionId,
    ExecutionRecord,
    NodeRecord,
    TaskTemplate,
)

__all__ = [
    "AttemptRequest",
    "AttemptResult",
    "Catalog",
    "Runner",
    "StateStore",
]


class AttemptRequest(msgspec.Struct, frozen=True, omit_defaults=True):
    """Everything a worker needs to run one attempt of a task node.

    ``output_prefix`` is the attempt's folder in the blob store; ``checkpoint_src`` the previous
    attempt's checkpoint (empty on the first attempt). ``code_root`` is prepended to ``sys.path``
    before the task's module is imported.
    """

    execution: ExecutionId
    node: str
    attempt: int
    task: TaskTemplate
    inputs: dict[str, Any]
    store: str
    output_prefix: str
    checkpoint_dest: str = ""
    checkpoint_src: str = ""
    code_root: str = ""
    timeout_s: float | None = None
    offload_bytes: int = 1 << 20
    """Encoded outputs larger than this are written to the blob store instead of returned."""


@dataclasses.dataclass(slots=True)
class AttemptResult:
    """How an attempt ended.

    Exactly one of ``outputs`` / ``outputs_uri`` / ``dynamic`` is set on success; ``dynamic`` holds
    the JSON of the workflow a ``@dynamic`` task generated. ``exception`` is the original exception
    object when it could be carried back (always for the inline runner).
    """

    node: str
    attempt: int
    ok: bool
    outputs: dict[str, Any] | None = None
    outputs_uri: str = ""
    dynamic: bytes = b""
    error: ErrorInfo | None = None
    exception: BaseException | None = None
    timed_out: bool = False
    started_at: float = 0.0
    ended_at: float = 0.0
    worker: str = ""


class StateStore(Protocol):
    """Durable (or in-memory) records of executions, nodes and attempts."""

    def save_execution(self, record: ExecutionRecord) -> None:
        """Insert or replace an execution record."""

    def save_node(self, execution: ExecutionId, record: NodeRecord) -> None:
        """Insert or replace a node record (by its path)."""

    def save_attempt(self, execution: ExecutionId, record: AttemptRecord) -> None:
        """Append an attempt record."""

    def nodes(self, execution: ExecutionId) -> Iterable[NodeRecord]:
        """Every recorded node of an execution (used to resume)."""


class Catalog(Protocol):
    """Cached task outputs by cache key."""

    def get(self, key: str) -> dict[str, Any] | None:
        """The cached outputs for ``key``, or None."""

    def put(self, key: str, task: str, outputs: dict[str, Any], source: str) -> None:
        """Remember ``outputs`` under ``key``."""

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

    def cancel(self, node: str, attempt: int) -> None:
        """Stop an attempt that is running (best effort)."""

    def close(self) -> None:
        """Release workers."""
