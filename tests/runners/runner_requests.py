"""Helpers for the runner tests: the type of the ``make_request`` fixture, and waiting for results.

(A module of its own: test modules cannot import from ``conftest`` when several test folders, each
with its own ``conftest``, run in one session.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slipstream.model import AttemptRequest, AttemptResult

MakeRequest = Callable[..., AttemptRequest]


def wait_for(runner: Any, count: int, timeout: float = 30.0) -> list[AttemptResult]:
    """The next ``count`` results of ``runner`` (fails the test after ``timeout`` seconds)."""
    import time

    out: list[AttemptResult] = []
    deadline = time.monotonic() + timeout
    while len(out) < count:
        left = deadline - time.monotonic()
        assert left > 0, f"only {len(out)} of {count} results after {timeout} s: {out}"
        out.extend(runner.wait(min(left, 1.0)))
    return out
