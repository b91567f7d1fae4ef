"""One retry policy for every node kind, driven by the kind of the error.

A task's ``retries`` pay for its own failures (``USER``, ``TIMEOUT``); failures that are not the
task's fault (``SYSTEM``: a worker that died, a lost lease, an engine host that restarted; ``OOM``:
killed for memory) spend a separate platform budget, so that a flaky machine does not eat the
user's retries and a task with ``retries=0`` still survives a lost worker. A task may lower the
platform's budget for itself (``system_retries``, 0 opts out). ``ABORTED`` never retries, nor does
an exception class named in ``non_retryable``, nor a failure another attempt cannot fix (a store
that is full, a task asking more than the machine has).

An attempt ``INTERRUPTED`` by a routine restart of its engine host (code ``interrupted``) spends no
budget at all: it always runs again, on the next host.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from slipstream.model import AttemptRecord, ErrorInfo, ErrorKind, Node, TaskTemplate

__all__ = ["INTERRUPTED", "Budget", "RetryPolicy", "kind_of"]

SYSTEM_RETRIES = 3
"""The platform's default budget of retries for failures that are not the task's own."""

_SYSTEM_KINDS = frozenset({ErrorKind.SYSTEM.value, ErrorKind.OOM.value})
_NEVER_CODES = frozenset({"unschedulable", "store_full"})
"""Failures that another attempt cannot fix (a task asking more than the machine has, a store
without room)."""
INTERRUPTED = "interrupted"
"""The error code of an attempt stopped by its engine host's shutdown (never charged)."""


def kind_of(err: ErrorInfo, timed_out: bool = False) -> str:
    """The error's kind as the policy reads it (a timed-out attempt is ``TIMEOUT``)."""
    if timed_out and err.kind == ErrorKind.USER.value:
        return ErrorKind.TIMEOUT.value
    return err.kind or ErrorKind.USER.value


class Budget:
    """Failures spent so far by one node (or one map item), by whose fault they were."""

    __slots__ = ("system", "user")

    def __init__(self, user: int = 0, system: int = 0) -> None:
        self.user = user
        self.system = system

    @classmethod
    def of(cls, attempts: Iterable[AttemptRecord]) -> Budget:
        """The budget already spent by recorded failed attempts (to resume after a restart)."""
        b = cls()
        for a in attempts:
            if a.error is None or a.phase == "SUCCEEDED" or a.error.code == INTERRUPTED:
                continue
            if a.error.kind in _SYSTEM_KINDS:
                b.system += 1
            else:
                b.user += 1
        return b


@dataclass(frozen=True)
class RetryPolicy:
    """Decides whether a failed attempt runs again."""

    system_retries: int = SYSTEM_RETRIES

    def retry(
        self,
        budget: Budget,
        err: ErrorInfo,
        kind: str,
        task: TaskTemplate,
        node: Node,
    ) -> bool:
        """Spend the failure on ``budget``; True when another attempt should run."""
        if err.code == INTERRUPTED:
            return True
        if kind == ErrorKind.ABORTED.value or err.code in _NEVER_CODES:
            return False
        if kind in _SYSTEM_KINDS:
            budget.system += 1
            limit = self.system_retries
            own = task.metadata.system_retries
            if own is not None:
                limit = min(limit, own)
            return budget.system <= limit
        budget.user += 1
        if err.type and err.type in task.metadata.non_retryable:
            return False
        retries = node.overrides.retries
        if retries is None:
            retries = task.metadata.retries
        return budget.user <= retries
