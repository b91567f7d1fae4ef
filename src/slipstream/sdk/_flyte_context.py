"""flytekit's ``FlyteContext``: the few things ordinary programs ask of it.

Programs written for flytekit reach for ``FlyteContextManager.current_context()`` to read the
running task's parameters (``user_space_params``), move data (``file_access``) or, in a workflow
decorator, see the nodes compiled so far (``compilation_state.nodes``). slipstream has no global
context object; this is a thin view over what it does have: the task context of
:func:`current_context`, the workflow being compiled, and the blob stores.
"""

from __future__ import annotations

from typing import Any

from slipstream.types import FileAccessProvider

__all__ = [
    "CompilationState",
    "ExecutionState",
    "FileAccessProvider",
    "FlyteContext",
    "FlyteContextManager",
]


class CompilationState:
    """The workflow being compiled: ``nodes`` in the order they were added (each supports
    ``a >> b``)."""

    def __init__(self, builder: Any) -> None:
        self._builder = builder

    @property
    def nodes(self) -> list[Any]:
        """The nodes added to the workflow so far."""
        return list(self._builder.nodes)

    @property
    def prefix(self) -> str:
        """The workflow's name."""
        return str(getattr(self._builder, "name", ""))


class ExecutionState:
    """Whether a task is running (``mode`` is ``TASK_EXECUTION``) and its working directory."""

    TASK_EXECUTION = "TASK_EXECUTION"
    LOCAL_WORKFLOW_EXECUTION = "LOCAL_WORKFLOW_EXECUTION"

    def __init__(self, mode: str | None, working_dir: str | None) -> None:
        self.mode = mode
        self.working_dir = working_dir

    def is_local_execution(self) -> bool:
        """Always true: slipstream runs every task in a process it started."""
        return True


class FlyteContext:
    """A snapshot of where the calling code runs: the task's parameters, data access, and the
    workflow being compiled (if any)."""

    def __init__(self) -> None:
        from ._compiler import current_builder
        from ._context import current_context, in_task

        params = current_context()
        self.user_space_params = params
        self.file_access = FileAccessProvider(params.raw_output_prefix)
        builder = current_builder()
        self.compilation_state = CompilationState(builder) if builder is not None else None
        running = in_task()
        self.execution_state = ExecutionState(
            ExecutionState.TASK_EXECUTION if running else None,
            params.working_directory if running else None,
        )

    @staticmethod
    def current_context() -> FlyteContext:
        """The context of the calling code."""
        return FlyteContext()

    def new_execution_state(self) -> ExecutionState:
        """The execution state (flytekit builds a new one; this one describes the caller)."""
        return self.execution_state


class FlyteContextManager:
    """flytekit's accessor of the current :class:`FlyteContext`."""

    @staticmethod
    def current_context() -> FlyteContext:
        """The context of the calling code."""
        return FlyteContext()
