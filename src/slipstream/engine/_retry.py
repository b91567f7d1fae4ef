"""One retry policy for every node kind, driven by the kind of the error.

A task's ``retries`` pay for its own failures (``USER``, ``TIMEOUT``); failures that are not the
task's fault (``SYSTEM``: a worker that died, a lost lease, an engine host that restarted; ``OOM``:
killed for memory) spend a separate platform budget, so that a flaky machine does not eat the
user's retries and a task with ``retries=0`` still survives a lost worker. A task may lower the
platform's budget for itself (``system_retries``, 0 opts out). ``ABORTED`` never retries, nor does
an exception class named in ``non_retryable``, nor a failure another attempt cannot fix (a store
that is full, a task asking more than the machine has: the codes whose retry rule in
:data:`~slipstream.errors.CODES` is ``NEVER``).

An attempt ``INTERRUPTED`` by a routine restart of its engine host (code ``interrupted``) spends no
budget at all: it always runs again, on the next host.

An attempt killed for memory (``OOM``) runs again with more memory: its limit (and its request) times
``OomRetry.factor``, never above ``OomRetry.max``. These retries spend no budget either, the
task's nor the platform's: each one grows the limit, so the cap bounds them. One that goes over a
limit already at the cap fails the node, with an error that names the cap. A task without any
memory figure to grow has its ``OOM`` retried as a ``SYSTEM`` failure.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

import msgspec

from slipstream.errors import FailureCode, Retry, retry_rule
from slipstream.model import (
    AttemptPhase,
    AttemptRecord,
    AttemptResult,
    ErrorInfo,
    ErrorKind,
    Node,
    OomRetry,
    TaskTemplate,
    format_memory,
    memory_use,
    parse_quantity,
)

__all__ = ["INTERRUPTED", "Budget", "RetryPolicy", "kind_of", "memory_of", "quantity_bytes"]

log = logging.getLogger("slipstream.engine")

SYSTEM_RETRIES = 3
"""The platform's default budget of retries for failures that are not the task's own."""

_SYSTEM_KINDS = frozenset({ErrorKind.SYSTEM, ErrorKind.OOM})
INTERRUPTED = FailureCode.INTERRUPTED
"""The error code of an attempt stopped by its engine host's shutdown (never charged)."""


def kind_of(err: ErrorInfo, timed_out: bool = False) -> ErrorKind:
    """The error's kind as the policy reads it (a timed-out attempt is ``TIMEOUT``)."""
    if timed_out and err.kind == ErrorKind.USER:
        return ErrorKind.TIMEOUT
    return err.kind or ErrorKind.USER


@functools.lru_cache(maxsize=256)
def quantity_bytes(text: str, where: str) -> int:
    """The bytes of a memory quantity such as ``"60Mi"`` (``where`` names it in an error)."""
    return int(parse_quantity(text, field=where))


def memory_of(task: TaskTemplate) -> int:
    """The memory ``task`` may use in bytes: its limit, else its request; 0 when it sets neither."""
    text = task.limits.mem or task.requests.mem
    return quantity_bytes(text, f"{task.id.name}.mem") if text else 0


class Budget:
    """Failures spent so far by one node (or one map item), by whose fault they were, and the
    memory its next attempt gets (``memory``, bytes; 0: the task's own)."""

    __slots__ = ("capped", "memory", "system", "user")

    def __init__(self, user: int = 0, system: int = 0) -> None:
        self.user = user
        self.system = system
        self.memory = 0
        self.capped = ""
        """Why the last attempt killed for memory was not retried (its limit was the cap)."""

    @classmethod
    def of(cls, attempts: Iterable[AttemptRecord], oom: OomRetry | None = None) -> Budget:
        """The budget already spent by recorded failed attempts (to resume after a restart),
        with the memory grown after the last one killed for memory."""
        b = cls()
        grow = _Growth(oom or OomRetry())
        for a in attempts:
            if a.error is None or a.phase is AttemptPhase.SUCCEEDED:
                continue
            if retry_rule(a.error.code) is Retry.FREE:
                continue
            if a.error.kind == ErrorKind.OOM and a.memory_limit:
                b.memory = max(b.memory, grow.next(a.memory_limit) or a.memory_limit)
            elif a.error.kind in _SYSTEM_KINDS:
                b.system += 1
            else:
                b.user += 1
        return b


class _Growth:
    """The memory after an attempt killed for memory, as one :class:`OomRetry` says."""

    __slots__ = ("cap", "factor")

    def __init__(self, oom: OomRetry) -> None:
        self.factor = oom.factor
        self.cap = quantity_bytes(oom.max, "oom_retry.max")

    def next(self, limit: int) -> int:
        """The limit after ``limit`` (0: ``limit`` is at or over the cap; no growth is left)."""
        if limit >= self.cap or self.factor <= 1:
            return 0
        return min(self.cap, int(limit * self.factor))


@dataclass(frozen=True)
class RetryPolicy:
    """Decides whether a failed attempt runs again."""

    system_retries: int = SYSTEM_RETRIES
    oom: OomRetry = field(default_factory=OomRetry)
    """How an attempt killed for memory grows (a project's ``oom_retry`` setting on a server)."""

    def retry(
        self,
        budget: Budget,
        err: ErrorInfo,
        kind: str,
        task: TaskTemplate,
        node: Node,
    ) -> bool:
        """Spend the failure on ``budget``; True when another attempt should run (the code's
        retry rule in the catalogue first, then the kind's budget)."""
        rule = retry_rule(err.code)
        if rule is Retry.FREE:
            return True
        if kind == ErrorKind.ABORTED or rule is Retry.NEVER:
            return False
        if kind == ErrorKind.OOM:
            limit = budget.memory or memory_of(task)
            if limit:
                return self._grow(budget, limit)
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

    def decide(
        self, budget: Budget, r: AttemptResult, task: TaskTemplate, node: Node
    ) -> ErrorInfo | None:
        """Spend failed attempt ``r`` on ``budget``: None when another attempt runs, else the
        error its node fails with (naming the cap when memory could grow no more)."""
        err = r.error or ErrorInfo(code=FailureCode.FAILED, message="attempt failed")
        kind = kind_of(err, r.timed_out)
        before = budget.memory
        if self.retry(budget, err, kind, task, node):
            if budget.memory != before:
                # a warning: the task outgrew its memory, and its limit is worth raising
                log.warning(
                    "%s%s: attempt %d runs with %s after attempt %d used %s",
                    f"{r.execution} " if r.execution is not None else "", r.node, r.attempt + 1,
                    format_memory(budget.memory), r.attempt,
                    memory_use(r.memory_peak, before or memory_of(task)),
                )  # fmt: skip
            return None
        if kind == ErrorKind.OOM and budget.capped:
            return msgspec.structs.replace(err, message=f"{err.message}; {budget.capped}")
        return err

    def _grow(self, budget: Budget, limit: int) -> bool:
        grown = _Growth(self.oom).next(limit)
        if not grown:
            budget.capped = (
                f"it ran with {format_memory(limit)}, the cap of memory retries "
                f"(oom_retry max {self.oom.max}); it is not retried"
            )
            return False
        budget.memory = grown
        return True
