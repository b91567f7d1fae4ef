"""The one seam between authoring and execution (imports nothing of slipstream).

The SDK sits below the engine and the runners, so it cannot import them. Running a workflow or a
task called from plain Python goes through the local executor, whose factory the root
``slipstream`` package installs (the factory imports the runners on first use).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["get_local_executor", "set_local_executor"]

_executor_factory: Callable[[], Callable[..., Any]] | None = None
_executor: Callable[..., Any] | None = None


def set_local_executor(factory: Callable[[], Callable[..., Any]]) -> None:
    """Install the factory of the function that runs an entity locally."""
    global _executor_factory, _executor
    _executor_factory = factory
    _executor = None


def get_local_executor() -> Callable[..., Any]:
    """The function that runs an entity locally: ``executor(entity, literal_inputs) -> literals``."""
    global _executor
    if _executor is None:
        if _executor_factory is None:
            raise RuntimeError("no local executor installed; import slipstream first")
        _executor = _executor_factory()
    return _executor
