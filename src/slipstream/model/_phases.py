"""Phases of executions, nodes and attempts, with their allowed transitions declared as data.

Every change of phase goes through :func:`check_transition` (or :func:`check_path`, when a record is
written once for several steps, or :func:`execution_phase_after`, for writers that may not have seen
the stored phase); anything not declared here raises
:class:`~slipstream.errors.IllegalTransitionError`. The model layer may not import slipstream's other
packages, so the error is passed in by callers through the ``error`` argument. Every other rule
about phases is computed from these tables (:data:`ENDS_ONLY`), never written a second time.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

__all__ = [
    "ATTEMPT_TRANSITIONS",
    "ENDS_ONLY",
    "EXECUTION_TRANSITIONS",
    "NODE_TRANSITIONS",
    "AttemptPhase",
    "CacheStatus",
    "ExecutionPhase",
    "NodePhase",
    "check_path",
    "check_transition",
    "execution_phase_after",
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


_E = ExecutionPhase
EXECUTION_TRANSITIONS: Mapping[ExecutionPhase, frozenset[ExecutionPhase]] = {
    # QUEUED -> ABORTING: an abort of an execution an engine host has claimed but not yet started
    _E.QUEUED: frozenset({_E.RUNNING, _E.ABORTING, _E.ABORTED, _E.FAILED}),
    _E.RUNNING: frozenset({_E.SUCCEEDED, _E.FAILED, _E.ABORTING, _E.ABORTED, _E.TIMED_OUT}),
    # an execution asked to abort ends ABORTED, unless it ended by itself before its engine host
    # saw the request; only an end leaves ABORTING (see ENDS_ONLY)
    _E.ABORTING: frozenset({_E.ABORTED, _E.SUCCEEDED, _E.FAILED, _E.TIMED_OUT}),
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

# a terminal phase is one the table declares no way out of
_TERMINAL_EXEC = frozenset(p for p, exits in EXECUTION_TRANSITIONS.items() if not exits)
_TERMINAL_NODE = frozenset(p for p, exits in NODE_TRANSITIONS.items() if not exits)

_A = AttemptPhase
ATTEMPT_TRANSITIONS: Mapping[AttemptPhase, frozenset[AttemptPhase]] = {
    # QUEUED: handed to the runner's queue
    _A.QUEUED: frozenset({_A.RUNNING, _A.ABORTED, _A.FAILED}),
    # RUNNING -> QUEUED: recorded running when handed out (to name its log while it runs) but never
    # started before its engine host shut down; the next host runs it under the same number
    _A.RUNNING: frozenset(
        {_A.SUCCEEDED, _A.FAILED, _A.TIMED_OUT, _A.ABORTED, _A.INTERRUPTED, _A.QUEUED}
    ),
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


def check_path(
    table: Mapping[P, frozenset[P]],
    path: Sequence[P],
    what: str,
    error: Callable[[str], Exception],
) -> None:
    """Raise ``error(message)`` unless every step of ``path`` is declared in ``table``: for a
    record written once, in its last phase, for a life of several steps (a map item)."""
    for current, new in itertools.pairwise(path):
        check_transition(table, current, new, what, error)


ENDS_ONLY: frozenset[ExecutionPhase] = frozenset(
    p for p, exits in EXECUTION_TRANSITIONS.items() if exits and all(e.terminal for e in exits)
)
"""The execution phases that only an end leaves (ABORTING), computed from the table: a writer
that has not seen one (an engine host still driving the execution as RUNNING) does not replace
it with a phase that has not ended. The engine host's database write holds to the same set."""


def execution_phase_after(
    current: ExecutionPhase,
    new: ExecutionPhase,
    what: str,
    error: Callable[[str], Exception],
) -> ExecutionPhase:
    """The phase of an execution in ``current`` once ``new`` is written over it: ``current``
    when that is ``new`` or one of :data:`ENDS_ONLY` and ``new`` has not ended (an abort asked
    before the engine host started the execution stays visible), else ``new`` if the table
    declares the change; otherwise ``error(message)`` is raised."""
    if new is current or (current in ENDS_ONLY and not new.terminal):
        return current
    check_transition(EXECUTION_TRANSITIONS, current, new, what, error)
    return new
