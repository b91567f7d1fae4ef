"""flytekit's ``flytekit.models.core.execution`` module path: the phase numbers programs compare
``FlyteWorkflowExecution.closure.phase`` with."""

from __future__ import annotations

import enum

from slipstream.model import ExecutionPhase

__all__ = ["WorkflowExecutionPhase"]


class WorkflowExecutionPhase(enum.IntEnum):
    """An execution's phase in Flyte's numbering (slipstream's phases are a subset)."""

    UNDEFINED = 0
    QUEUED = 1
    RUNNING = 2
    SUCCEEDING = 3
    SUCCEEDED = 4
    FAILING = 5
    FAILED = 6
    ABORTED = 7
    TIMED_OUT = 8
    ABORTING = 9

    @classmethod
    def enum_to_string(cls, value: int) -> str:
        """The phase's name."""
        return cls(value).name

    @classmethod
    def of(cls, phase: ExecutionPhase) -> WorkflowExecutionPhase:
        """The Flyte phase of a slipstream phase."""
        return cls[ExecutionPhase(phase).name]
