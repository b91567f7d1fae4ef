"""Phases of executions, nodes and attempts, with their allowed transitions declared as data.

Every change of phase goes through :func:`check_transition`; anything not declared here raises
:class:`~slipstream.errors.IllegalTransitionError`. The model layer may not import slipstream's other
packages, so the error is passed in by callers through ``check_transition``'s ``error`` argument.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import TypeVar

__all__ = [
    "ATTEMPT_TRANSITIONS",
    "EXECUTION_TRANSITIONS",
    "NODE_TRANSITIONS",
    "AttemptPhase",
    "CacheStatus",
    "ExecutionPhase",
    "NodePhase",
    "check_transition",
]


P = TypeVar("P", bound=enum.Enum)


class ExecutionPhase(enum.StrEnum):
    """Life of an execution."""

    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    ABORTING = "ABORTING"
    ABORTED = "ABORTED"
    TIMED_OUT = "TIMED_OUT"

    @property
    def terminal(self) -> bool:
        """Whether nothing more happens in this phase."""
        return self in _TERMINAL_EXEC


class NodePhase(enum.StrEnum):
    """Life of a node execution."""

    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    WAITING = "WAITING"
    """Running children (subworkflow, dynamic, map, branch) or waiting on a gate."""
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    SKIPPED = "SKIPPED"
    ABORTED = "ABORTED"

    @property
    def terminal(self) -> bool:
        """Whether nothing more happens in this phase."""
        return self in _TERMINAL_NODE


class AttemptPhase(enum.StrEnum):
    """Life of one attempt of a task node."""

    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    ABORTED = "ABORTED"
    INTERRUPTED = "INTERRUPTED"
    """Stopped because its engine host shut down (a routine restart): the node runs again, and
    no retry budget is spent."""


class CacheStatus(enum.StrEnum):
    """What the cache did for a node."""

    DISABLED = "DISABLED"
    MISS = "MISS"
    HIT = "HIT"
    POPULATED = "POPULATED"


_TERMINAL_EXEC = frozenset(
    {
        ExecutionPhase.SUCCEEDED,
        ExecutionPhase.FAILED,
        ExecutionPhase.ABORTED,
        ExecutionPhase.TIMED_OUT,
    }
)
_TERMINAL_NODE = frozenset(
    {
        NodePhase.SUCCEEDED,
        NodePhase.FAILED,
        NodePhase.TIMED_OUT,
        NodePhase.SKIPPED,
        NodePhase.ABORTED,
    }
)

_E = ExecutionPhase
EXECUTION_TRANSITIONS: Mapping[ExecutionPhase, frozenset[ExecutionPhase]] = {
    # QUEUED -> ABORTING: an abort of an execution an engine host has claimed but not yet started
    _E.QUEUED: frozenset({_E.RUNNING, _E.ABORTING, _E.ABORTED, _E.FAILED}),
    _E.RUNNING: frozenset({_E.SUCCEEDED, _E.FAILED, _E.ABORTING, _E.ABORTED, _E.TIMED_OUT}),
    _E.ABORTING: frozenset({_E.ABORTED}),
    _E.SUCCEEDED: frozenset(),
    _E.FAILED: frozenset(),
    _E.ABORTED: frozenset(),
    _E.TIMED_OUT: frozenset(),
}

_N = NodePhase
_NODE_END = frozenset({_N.SUCCEEDED, _N.FAILED, _N.TIMED_OUT, _N.ABORTED})
NODE_TRANSITIONS: Mapping[NodePhase, frozenset[NodePhase]] = {
    _N.QUEUED: frozenset({_N.RUNNING, _N.WAITING, _N.SKIPPED} | _NODE_END),
    _N.RUNNING: frozenset({_N.WAITING, _N.QUEUED} | _NODE_END),
    _N.WAITING: frozenset({_N.RUNNING} | _NODE_END),
    _N.SUCCEEDED: frozenset(),
    _N.FAILED: frozenset(),
    _N.TIMED_OUT: frozenset(),
    _N.SKIPPED: frozenset(),
    _N.ABORTED: frozenset(),
}

_A = AttemptPhase
ATTEMPT_TRANSITIONS: Mapping[AttemptPhase, frozenset[AttemptPhase]] = {
    _A.QUEUED: frozenset({_A.RUNNING, _A.ABORTED, _A.FAILED}),
    _A.RUNNING: frozenset({_A.SUCCEEDED, _A.FAILED, _A.TIMED_OUT, _A.ABORTED, _A.INTERRUPTED}),
    _A.SUCCEEDED: frozenset(),
    _A.FAILED: frozenset(),
    _A.TIMED_OUT: frozenset(),
    _A.ABORTED: frozenset(),
    _A.INTERRUPTED: frozenset(),
}


def check_transition(
    table: Mapping[P, frozenset[P]],
    current: P,
    new: P,
    what: str,
    error: Callable[[str], Exception],
) -> None:
    """Raise ``error(message)`` unless ``current -> new`` is declared in ``table``."""
    if new not in table[current]:
        raise error(f"{what}: illegal transition {current.value} -> {new.value}")
