"""One runner shared by every execution an engine host drives.

Each executor gets a :class:`Lane` (a ``Runner`` of its own to the engine); what it submits waits in
the host's :class:`Dispatch` until the host has made the attempt's RUNNING record durable, and then
goes to the real runner while it has room, oldest first across executions. Holding attempts here
rather than in the runner's worker queues makes cancelling a waiting attempt free (an abort never
disturbs another execution's work) and means an attempt never runs before the record that says it
started, so a restarted host counts it as lost instead of running attempt ``n`` twice.
"""

from __future__ import annotations

import time
from collections import deque

from slipstream.engine import AttemptRequest, AttemptResult, Runner, interrupted
from slipstream.errors import UnsendableError
from slipstream.model import ExecutionId
from slipstream.runners import error_info

__all__ = ["Dispatch", "Lane"]

_Key = tuple[ExecutionId, str, int]


class Dispatch:
    """The host's runner and the attempts waiting for it."""

    def __init__(self, runner: Runner, host: str = "", per_worker: int = 16) -> None:
        self.runner = runner
        workers = getattr(runner, "workers", None)
        self.room = min(runner.capacity, workers * per_worker) if workers else runner.capacity
        """How many attempts the runner is given at once: a few per worker keeps workers busy
        without piling up work that a crash of the host would lose."""
        self.name = f"{runner.name}@{host}" if host else runner.name
        """What attempt records name as their runner: the runner and the engine host."""
        self._pending: dict[_Key, AttemptRequest] = {}
        self._order: deque[_Key] = deque()
        """Keys in submission order; a cancelled key stays until it reaches the front."""
        self._sent: dict[_Key, float] = {}
        self.latencies: list[float] = []
        """Seconds each attempt waited between its submission and its hand-over to the runner
        (kept only while ``measure`` is set, for the benchmarks)."""
        self.measure = False
        self._queued_at: dict[_Key, float] = {}
        self._refused: list[AttemptResult] = []
        self._free: set[_Key] = set()
        """Attempts at the runner that hold no worker (connector jobs): outside ``room``."""
        self._no_slot = getattr(runner, "takes_no_slot", None)
        """Results of attempts the runner refused to take (reported by the next :meth:`wait`)."""

    def lane(self, execution: ExecutionId) -> Lane:
        """A runner view for one execution."""
        return Lane(self, execution)

    @property
    def at_runner(self) -> int:
        """Attempts handed to the runner and not reported yet (or refused by it)."""
        return len(self._sent) + len(self._refused)

    @property
    def waiting(self) -> int:
        """Attempts submitted and not yet handed to the runner."""
        return len(self._pending)

    def submit(self, request: AttemptRequest) -> None:
        key = (request.execution, request.node, request.attempt)
        self._pending[key] = request
        self._order.append(key)
        if self.measure:
            self._queued_at[key] = time.perf_counter()

    def dispatch(self) -> int:
        """Hand waiting attempts to the runner while it has room; returns how many went."""
        room = self.room - len(self._sent) + len(self._free)
        n = 0
        pending, order = self._pending, self._order
        while pending and n < room:
            key = order.popleft()
            request = pending.pop(key, None)
            if request is None:  # cancelled while it waited
                continue
            try:
                self.runner.submit(request)
            except Exception as e:  # this attempt's values, not the runner: it fails alone
                self._refused.append(unsendable(request, e))
                continue
            now = time.perf_counter()
            self._sent[key] = now
            if self.measure:
                self.latencies.append(now - self._queued_at.pop(key, now))
            if self._no_slot is not None and self._no_slot(request):
                self._free.add(key)
            else:
                n += 1
        return n

    def wait(self, timeout: float | None) -> list[AttemptResult]:
        """Results from the runner (nothing when no attempt is out)."""
        if self._refused:
            refused, self._refused = self._refused, []
            return refused
        if not self._sent:
            return []
        results = self.runner.wait(timeout)
        for r in results:
            if r.execution is not None:
                self._sent.pop((r.execution, r.node, r.attempt), None)
                self._free.discard((r.execution, r.node, r.attempt))
        return results

    def cancel(self, execution: ExecutionId, node: str, attempt: int) -> None:
        """Drop a waiting attempt, or ask the runner to stop a running one."""
        key = (execution, node, attempt)
        if self._pending.pop(key, None) is not None:
            self._queued_at.pop(key, None)
            return
        if self._sent.pop(key, None) is not None:
            self._free.discard(key)
            self.runner.cancel(node, attempt, execution)

    def forget(self, execution: ExecutionId) -> None:
        """Cancel everything of an execution this host no longer drives (its lease was lost)."""
        for key in [k for k in self._pending if k[0] == execution]:
            del self._pending[key]
        if not self._pending:
            self._order.clear()
        for key in [k for k in self._sent if k[0] == execution]:
            self.cancel(*key)

    def take_waiting(self) -> list[_Key]:
        """Drop every attempt not yet handed to the runner and return their keys: the host is
        shutting down, and they never started."""
        keys = list(self._pending)
        self._pending.clear()
        self._order.clear()
        self._queued_at.clear()
        return keys

    def interrupt(self) -> tuple[list[AttemptResult], list[_Key]]:
        """The host is shutting down: stop what the runner holds. Returns the results of the
        attempts that ran (``INTERRUPTED``, with their real start) and the keys of those only
        queued in the runner, never started. A runner that cannot tell them apart (it has no
        ``interrupt``) has all it holds counted as started when it was handed over."""
        stop = getattr(self.runner, "interrupt", None)
        unstarted: list[_Key] = []
        if stop is not None:
            results, queued = stop()
            unstarted = [(r.execution, r.node, r.attempt) for r in queued]
        else:
            now, wall = time.perf_counter(), time.time()
            results = [interrupted(*k, started_at=wall - (now - t)) for k, t in self._sent.items()]
        self._sent.clear()
        self._free.clear()
        return results, unstarted


def unsendable(request: AttemptRequest, e: Exception) -> AttemptResult:
    """The result of an attempt the runner could not take (its inputs cannot be encoded for a
    worker, say): a SYSTEM failure saying why."""
    now = time.time()
    why = UnsendableError(f"the attempt cannot be handed to a worker: {type(e).__name__}: {e}")
    return AttemptResult(
        request.node,
        request.attempt,
        False,
        error=error_info(why, request.node),
        started_at=now,
        ended_at=now,
        execution=request.execution,
    )


class Lane:
    """The runner an executor sees: submissions wait in the shared :class:`Dispatch`."""

    def __init__(self, dispatch: Dispatch, execution: ExecutionId) -> None:
        self._dispatch = dispatch
        self.execution = execution
        self.name = dispatch.name

    @property
    def capacity(self) -> int:
        return self._dispatch.runner.capacity

    @property
    def user_code_apart(self) -> bool:
        """The runner's: whether user code must stay out of the engine's process."""
        return bool(getattr(self._dispatch.runner, "user_code_apart", False))

    def submit(self, request: AttemptRequest) -> None:
        self._dispatch.submit(request)

    def wait(self, timeout: float | None) -> list[AttemptResult]:
        """Results reach executors through the host's loop, never through a lane."""
        return []

    def cancel(self, node: str, attempt: int, execution: ExecutionId | None = None) -> None:
        self._dispatch.cancel(execution or self.execution, node, attempt)

    def close(self) -> None:
        """The shared runner is the host's to close."""
