"""``@eager``: a workflow written as plain ``async`` Python (flytekit's ``@eager``).

The body runs when the workflow runs, with real values: ``await t(x=1)`` calls a task (or a
workflow, a launch plan, a map task, another eager workflow) and returns its outputs;
``asyncio.gather`` runs calls in parallel; loops, ``if`` and ``try``/``except`` are plain Python.
Each awaited call becomes a node that the engine records, caches, retries and dispatches to the
runner like any task node (``n0/e0``, ``n0/e1``... in call order). A call that fails raises
:class:`~slipstream.errors.EagerException` where it was awaited.

The SDK only authors: the engine runs the body and answers the calls. While a body runs, the
engine puts its :class:`EagerCalls` in :data:`CURRENT`; tasks, workflows and launch plans called
then hand themselves to it instead of running or compiling.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, ParamSpec, TypeVar, overload

from slipstream.errors import CompileError

from . import _compiler
from ._eager_calls import CURRENT, EagerCalls, eager_calls
from ._signature import location_of
from ._task import PythonTask

__all__ = ["CURRENT", "EagerCalls", "EagerWorkflow", "eager", "eager_calls"]

P = ParamSpec("P")
R = TypeVar("R")


class EagerWorkflow(PythonTask[P, R]):
    """An ``@eager`` workflow: an ``async def`` whose body runs in the engine at execution time.

    It is a task to the model (type ``eager``), so a static workflow calls it as a node and the
    server registers it like any task; the engine runs its body instead of sending an attempt to
    a runner, and records each awaited call as a child node.
    """

    task_type = "eager"

    def __init__(self, fn: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(fn):
            raise CompileError(
                f"@eager needs an 'async def' function; {getattr(fn, '__qualname__', fn)!r} is "
                "not one",
                location=location_of(fn),
            )
        for opt in ("cache", "cache_serialize", "retries", "timeout"):
            if kwargs.get(opt):
                raise CompileError(
                    f"@eager: {opt} applies to the tasks an eager workflow calls, not to the "
                    f"workflow itself (on {fn.__qualname__})",
                    location=location_of(fn),
                )
        super().__init__(fn, **kwargs)

    @property
    def body(self) -> Callable[..., Any]:
        """The ``async def`` function itself."""
        return self._fn

    def execute(self, **kwargs: Any) -> Any:
        """Eager bodies run in the engine, never as an attempt on a worker."""
        raise CompileError(
            f"eager workflow {self.name} runs in the engine; it cannot run as a task attempt"
        )

    def __call__(  # type: ignore[override]
        self, *args: P.args, **kwargs: P.kwargs
    ) -> Coroutine[Any, Any, R]:
        """In a workflow or an eager body, a node; from plain Python, a coroutine that runs the
        workflow locally (``asyncio.run(wf(x=1))``, or ``await wf(x=1)`` in a notebook), as
        flytekit's eager workflows are called. Wrong arguments raise at the call."""
        if _compiler.current_builder() is not None or eager_calls() is not None:
            # a node of a workflow (its promise) / an awaited call
            return super().__call__(*args, **kwargs)  # type: ignore[return-value]
        from ._context import in_task

        if in_task():
            raise CompileError(
                f"eager workflow {self.name} cannot be called from inside a task; call it from a "
                "workflow, another eager workflow, or plain Python"
            )
        bound = self.bind_call(args, kwargs)
        return self._run_locally(bound)

    async def _run_locally(self, bound: dict[str, Any]) -> R:
        from slipstream._hooks import get_local_executor

        # the execution runs in a thread: the engine runs the body on its own event loop, and
        # the caller's loop (a notebook's) stays free while it does
        result: R = await asyncio.to_thread(get_local_executor(), self, bound)
        return result

    def __repr__(self) -> str:
        return f"EagerWorkflow({self.name})"


@overload
def eager(_fn: Callable[P, Awaitable[R]]) -> EagerWorkflow[P, R]: ...
@overload
def eager(
    _fn: None = None, **kwargs: Any
) -> Callable[[Callable[P, Awaitable[R]]], EagerWorkflow[P, R]]: ...
def eager(_fn: Any = None, **kwargs: Any) -> Any:
    """Declare an eager workflow: ``@eager async def wf(x: int) -> int: return await t(x=x)``.

    Options are those of ``@task`` that apply to a whole run (``name``, ``docs``,
    ``environment``...); caching, retries and timeouts apply to each call inside instead.
    """
    if _fn is not None:
        return EagerWorkflow(_fn, **kwargs)

    def wrap(fn: Callable[P, Awaitable[R]]) -> EagerWorkflow[P, R]:
        return EagerWorkflow(fn, **kwargs)

    return wrap
