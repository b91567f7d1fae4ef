"""Where a running eager body's calls go: the context variable the engine sets on the body's
asyncio tasks, read by every callable entity (tasks, workflows, launch plans, map tasks)."""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable
from typing import Any, Protocol

__all__ = ["CURRENT", "EagerCalls", "eager_calls"]


class EagerCalls(Protocol):
    """What answers the calls of a running eager body (the engine provides it)."""

    def call(self, entity: Any, inputs: dict[str, Any]) -> Awaitable[Any]:
        """Start a call of ``entity`` with Python ``inputs``; the awaitable gives its outputs."""


CURRENT: contextvars.ContextVar[EagerCalls | None] = contextvars.ContextVar(
    "slipstream_eager_calls", default=None
)
"""The calls of the eager body running in this context (set on the body's asyncio tasks)."""


def eager_calls() -> EagerCalls | None:
    """The running eager body's calls, when called from inside one."""
    return CURRENT.get()
