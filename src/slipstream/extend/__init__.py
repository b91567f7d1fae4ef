"""flytekit's ``flytekit.extend`` module path: the base classes for tasks and types written as
classes (``PythonTask``, ``TypeTransformer``, ``TypeEngine``) and what they use."""

from slipstream.sdk import (
    CustomTask,
    ExecutionParameters,
    FlyteContext,
    FlyteContextManager,
    FlyteTypeEngine,
    FlyteTypeTransformer,
    Interface,
    SQLTask,
    TaskMetadata,
)

__all__ = [
    "ExecutionParameters",
    "FlyteContext",
    "FlyteContextManager",
    "Interface",
    "PythonTask",
    "SQLTask",
    "TaskMetadata",
    "TypeEngine",
    "TypeTransformer",
]

PythonTask = CustomTask
TypeEngine = FlyteTypeEngine
TypeTransformer = FlyteTypeTransformer
