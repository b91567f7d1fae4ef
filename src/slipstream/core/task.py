"""flytekit's ``flytekit.core.task`` module path, so that its imports move over with an import change."""

from slipstream.sdk import (
    Echo,
    PythonTask,
    TaskMetadata,
    reference_task,
    task,
)

__all__ = ["Echo", "PythonFunctionTask", "TaskMetadata", "reference_task", "task"]

PythonFunctionTask = PythonTask
