"""slipstream: typed workflows for machine learning and data processing.

The authoring API follows flytekit's: ``@task``, ``@workflow``, ``map_task``, ``dynamic``,
``conditional``, ``LaunchPlan``, ``Resources``, ``current_context()``, ``File``, ``Directory``,
``StructuredDataset``... so that Flyte code moves over with an import change. Importing this package
is cheap and has no side effects beyond installing the local executor hook: heavy libraries load only
when a value needs them.
"""

from slipstream.errors import (
    CompileError,
    ExecutionFailedError,
    LiteralTypeError,
    SlipstreamError,
)
from slipstream.sdk import (
    Cache,
    Checkpoint,
    ExecutionParameters,
    PythonTask,
    PythonWorkflow,
    Resources,
    Secret,
    SyncCheckpoint,
    Workflow,
    WorkflowFailurePolicy,
    current_context,
    task,
    workflow,
)
from slipstream.sdk import set_local_executor as _set_local_executor
from slipstream.types import (
    Directory,
    File,
    StructuredDataset,
    kwtypes,
)

FlyteFile = File
FlyteDirectory = Directory


def _local_executor():  # type: ignore[no-untyped-def]
    # The root package sits above every layer: it may wire the SDK to the runners, lazily.
    from slipstream.runners import run_local

    return run_local


_set_local_executor(_local_executor)

__version__ = "0.1.0"

__all__ = [
    "Cache",
    "Checkpoint",
    "CompileError",
    "Directory",
    "ExecutionFailedError",
    "ExecutionParameters",
    "File",
    "FlyteDirectory",
    "FlyteFile",
    "LiteralTypeError",
    "PythonTask",
    "PythonWorkflow",
    "Resources",
    "Secret",
    "SlipstreamError",
    "StructuredDataset",
    "SyncCheckpoint",
    "Workflow",
    "WorkflowFailurePolicy",
    "current_context",
    "kwtypes",
    "task",
    "workflow",
]
