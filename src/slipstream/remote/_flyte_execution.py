"""flytekit's ``FlyteWorkflowExecution`` and ``LiteralsResolver`` over slipstream's execution
records: what ``FlyteRemote.execute``, ``fetch_execution`` and ``wait`` return."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slipstream.errors import ExecutionFailedError, InputError
from slipstream.model import ErrorInfo, ExecutionId, ExecutionRecord, ExecutionSpec, NodeRecord
from slipstream.models.core.execution import WorkflowExecutionPhase

from ._executions import decode_literal

if TYPE_CHECKING:
    from ._client import Remote

__all__ = ["ExecutionClosure", "FlyteWorkflowExecution", "LiteralsResolver"]


class LiteralsResolver(Mapping[str, Any]):
    """Inputs or outputs by name, each turned into a Python value when first read: by the local
    entity's codec when known, by ``as_type`` in :meth:`get`, else by a type guessed from its
    literal type. ``literals`` holds the values as stored."""

    def __init__(
        self, literals: dict[str, Any], types: dict[str, Any], codecs: dict[str, Any]
    ) -> None:
        self.literals = literals
        self._types = types
        self._codecs = codecs
        self._cache: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        if key not in self._cache:
            if key not in self.literals:
                raise KeyError(f"no value named {key!r} (there are: {', '.join(self) or 'none'})")
            self._cache[key] = decode_literal(
                self.literals[key], self._types.get(key), self._codecs.get(key)
            )
        return self._cache[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.literals)

    def __len__(self) -> int:
        return len(self.literals)

    def get(self, attr: str, as_type: Any = None, default: Any = None) -> Any:
        """The value ``attr`` as ``as_type`` (a Python type), or typed as :meth:`__getitem__`
        types it; ``default`` when there is no such value."""
        if attr not in self.literals:
            return default
        if as_type is None:
            return self[attr]
        return decode_literal(self.literals[attr], self._types.get(attr), python_type=as_type)

    def __repr__(self) -> str:
        return f"LiteralsResolver({sorted(self.literals)})"


@dataclass(frozen=True)
class ExecutionClosure:
    """What has happened: ``phase`` (Flyte's numbering), ``error``, times (epoch seconds)."""

    phase: WorkflowExecutionPhase
    error: ErrorInfo | None
    created_at: float
    started_at: float | None
    ended_at: float | None

    @property
    def duration(self) -> float | None:
        """Seconds from start to end (or None while it has not ended)."""
        if self.started_at is None or self.ended_at is None:
            return None
        return self.ended_at - self.started_at


class FlyteWorkflowExecution:
    """One execution as flytekit's ``FlyteRemote`` shows it; ``record`` is slipstream's record.

    ``inputs`` and ``outputs`` are read from the server on first use; ``outputs`` of an execution
    that has not ended, or ended without succeeding, raise (as flytekit's do).
    """

    def __init__(
        self,
        record: ExecutionRecord,
        client: Remote,
        entity: Any = None,
        node_executions: dict[str, NodeRecord] | None = None,
    ) -> None:
        self.record = record
        self._client = client
        self._entity = entity
        self.node_executions: dict[str, NodeRecord] = node_executions or {}
        """The top-level node executions by path, after ``sync(..., sync_nodes=True)``."""
        self._inputs: LiteralsResolver | None = None
        self._outputs: LiteralsResolver | None = None

    @property
    def id(self) -> ExecutionId:
        """Project, domain and name."""
        return self.record.id

    @property
    def spec(self) -> ExecutionSpec:
        """What was asked for: the target, inputs, labels..."""
        return self.record.spec

    @property
    def closure(self) -> ExecutionClosure:
        """Phase, error and times."""
        r = self.record
        phase = WorkflowExecutionPhase.of(r.phase)
        return ExecutionClosure(phase, r.error, r.created_at, r.started_at, r.ended_at)

    @property
    def is_done(self) -> bool:
        """Whether the execution has ended."""
        return self.record.phase.terminal

    @property
    def is_successful(self) -> bool:
        """Whether it ended SUCCEEDED."""
        return self.closure.phase is WorkflowExecutionPhase.SUCCEEDED

    @property
    def error(self) -> ErrorInfo | None:
        """Why it failed (None if it has not)."""
        return self.record.error

    @property
    def inputs(self) -> LiteralsResolver:
        """The inputs it runs with."""
        if self._inputs is None:
            self._inputs = self._resolver("inputs")
        return self._inputs

    @property
    def outputs(self) -> LiteralsResolver:
        """The outputs of a succeeded execution."""
        if not self.is_done:
            raise InputError(
                f"execution {self.id} is {self.record.phase.value}: wait until it has ended "
                "before asking for its outputs (FlyteRemote.wait)"
            )
        if self.record.phase.value != "SUCCEEDED":
            raise ExecutionFailedError(
                f"execution {self.id} ended {self.record.phase.value}: it has no outputs",
                error=self.record.error,
            )
        if self._outputs is None:
            self._outputs = self._resolver("outputs")
        return self._outputs

    def _resolver(self, which: str) -> LiteralsResolver:
        values = self._client.values(self.record, which)
        codecs: dict[str, Any] = {}
        iface = getattr(self._entity, "python_interface", None)
        if iface is not None:
            for var in iface.outputs if which == "outputs" else iface.inputs:
                codecs[var.name] = var.codec
        return LiteralsResolver(dict(values.values), dict(values.types), codecs)

    def __repr__(self) -> str:
        return f"FlyteWorkflowExecution({self.id}, {self.record.phase.value})"
