"""The inline runner: attempts run one at a time in the engine's own process and thread.

The default when a workflow is called from Python, so that a debugger and breakpoints work.
"""

from __future__ import annotations

from collections import deque

from slipstream.engine import AttemptRequest, AttemptResult
from slipstream.model import ExecutionId

from ._entrypoint import run_attempt

__all__ = ["InlineRunner"]


class InlineRunner:
    """Runs each submitted attempt when the engine waits for results."""

    name = "inline"

    def __init__(self) -> None:
        self._queue: deque[AttemptRequest] = deque()

    @property
    def capacity(self) -> int:
        return 1

    def submit(self, request: AttemptRequest) -> None:
        self._queue.append(request)

    def wait(self, timeout: float | None) -> list[AttemptResult]:
        if not self._queue:
            return []
        return [run_attempt(self._queue.popleft(), "inline", live=True)]

    def cancel(self, node: str, attempt: int, execution: ExecutionId | None = None) -> None:
        for r in list(self._queue):
            if r.node == node and r.attempt == attempt and execution in (None, r.execution):
                self._queue.remove(r)

    def close(self) -> None:
        self._queue.clear()
