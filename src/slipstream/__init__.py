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
    CronSchedule,
    Email,
    ExecutionParameters,
    FixedRate,
    LaunchPlan,
    PagerDuty,
    PythonTask,
    PythonWorkflow,
    Resources,
    Secret,
    Slack,
    SyncCheckpoint,
    Workflow,
    WorkflowError,
    WorkflowFailurePolicy,
    approve,
    conditional,
    current_context,
    dynamic,
    map_task,
    sleep,
    task,
    wait_for_input,
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
FlyteError = WorkflowError
map = map_task  # flytekit 1.12+ spelling: ``from flytekit import map``


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
    "CronSchedule",
    "Email",
    "FixedRate",
    "FlyteError",
    "LaunchPlan",
    "PagerDuty",
    "Slack",
    "WorkflowError",
    "approve",
    "conditional",
    "dynamic",
    "map_task",
    "sleep",
    "wait_for_input",
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
