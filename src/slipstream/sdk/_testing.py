"""flytekit's testing helpers: stand-ins for tasks in a test (``task_mock``, ``patch``).

A mocked task keeps its interface, so the workflow around it compiles and its outputs are
converted as usual; only the task's work is replaced by a ``MagicMock`` called with the task's
inputs as keywords. The replacement applies to runs in this process (calling a workflow or task
from Python runs it inline), for the duration of the block.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Any
from unittest import mock

__all__ = ["patch", "task_mock"]


@contextlib.contextmanager
def task_mock(t: Any) -> Iterator[mock.MagicMock]:
    """``with task_mock(t) as m: m.return_value = ...``: ``t`` returns what the mock returns
    (or raises its ``side_effect``) while the block runs."""
    if not callable(getattr(t, "execute", None)):
        raise TypeError(f"task_mock needs a task, got {t!r}")
    m = mock.MagicMock()
    had_own = "execute" in vars(t)
    previous = vars(t).get("execute")

    def execute(**kwargs: Any) -> Any:
        return m(**kwargs)

    t.execute = execute
    try:
        yield m
    finally:
        if had_own:
            t.execute = previous
        else:
            del t.execute


def patch(target: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a test function: it receives the mock of ``target`` (a task) as its first
    argument, in effect while it runs."""

    def wrap(test: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(test)
        def run(*args: Any, **kwargs: Any) -> Any:
            with task_mock(target) as m:
                return test(m, *args, **kwargs)

        return run

    return wrap
