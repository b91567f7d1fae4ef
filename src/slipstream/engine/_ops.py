"""The narrow interface through which node kinds that run other nodes drive the executor.

Subworkflows, generated (``@dynamic``) workflows, branches, maps and gates live in their own files;
they see the executor only through this protocol — never its private members — so the loop can
change without them, and each kind can be read alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from slipstream.model import (
    AttemptResult,
    CacheStatus,
    CompiledWorkflow,
    ErrorInfo,
    ExecutionId,
    NodePhase,
    NodeRecord,
    TaskTemplate,
    WorkflowSpec,
)

if TYPE_CHECKING:
    from ._interfaces import Catalog, ChildExecutions
    from ._replay import Replay
    from ._retry import RetryPolicy
    from ._scope import NodeRun, Scope
    from ._signals import SignalSource

__all__ = ["Engine"]


class Engine(Protocol):
    """What a node kind may ask of the executor running it."""

    id: ExecutionId
    closure: CompiledWorkflow
    subworkflows: dict[str, WorkflowSpec]
    catalog: Catalog | None
    children: ChildExecutions | None
    blob_store: str
    code_root: str
    signals: SignalSource
    retry_policy: RetryPolicy
    replay: Replay | None
    maps: list[NodeRun]

    @property
    def finished(self) -> bool:
        """Whether the execution has ended (nothing more may start)."""

    def has_room(self) -> bool:
        """Whether another attempt may be handed to the runner now."""

    def transition(self, nr: NodeRun, phase: NodePhase) -> None:
        """Move a node to ``phase`` (checked against the declared transitions) and record it."""

    def enter(self, scope: Scope) -> None:
        """Record a child scope's nodes and queue those with nothing upstream."""

    def add_node(self, nr: NodeRun) -> None:
        """Record a node made at run time and queue it."""

    def node_succeeded(self, nr: NodeRun, outputs: dict[str, Any], cache: CacheStatus) -> None:
        """A node finished with ``outputs``."""

    def node_failed(
        self,
        nr: NodeRun,
        err: ErrorInfo,
        exc: BaseException | None,
        phase: NodePhase = NodePhase.FAILED,
    ) -> None:
        """A node failed for good."""

    def add_timer(self, seconds: float, callback: Callable[[], None]) -> None:
        """Call ``callback`` from the loop after ``seconds``."""

    def cache_key(self, task: TaskTemplate, version: str, inputs: dict[str, Any]) -> str:
        """The cache key of a call."""

    def submit_attempt(
        self,
        nr: NodeRun,
        path: str,
        attempt: int,
        task: TaskTemplate,
        inputs: dict[str, Any],
        segment: str | None = None,
        memory: int = 0,
    ) -> None:
        """Hand one attempt of ``path`` to the runner (with ``memory`` bytes when grown)."""

    def record_attempt(self, r: AttemptResult) -> None:
        """Append the record of a finished attempt."""

    def record_item(self, record: NodeRecord) -> None:
        """Record a map item's end when this executor keeps per-item records (else nothing)."""
