"""slipstream: typed workflows for machine learning and data processing.

The authoring API follows flytekit's: ``@task``, ``@workflow``, ``map_task``, ``dynamic``,
``conditional``, ``LaunchPlan``, ``Resources``, ``current_context()``, ``File``, ``Directory``,
``StructuredDataset``... so that Flyte code moves over with an import change. Importing this package
is cheap and has no side effects beyond installing the local executor hook: heavy libraries load only
when a value needs them.
"""

from typing import TYPE_CHECKING, Any

from slipstream.errors import (
    CompileError,
    ExecutionFailedError,
    LiteralTypeError,
    SlipstreamError,
)
from slipstream.sdk import (
    Annotations,
    Cache,
    Checkpoint,
    Deck,
    ExecutionParameters,
    ImageSpec,
    Labels,
    PythonTask,
    PythonWorkflow,
    Resources,
    Secret,
    SyncCheckpoint,
    WorkflowError,
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
FlyteError = WorkflowError


if TYPE_CHECKING:
    from slipstream.remote import Remote
    from slipstream.sdk import (
        CronSchedule,
        Email,
        FixedRate,
        LaunchPlan,
        PagerDuty,
        Slack,
        Workflow,
        approve,
        conditional,
        dynamic,
        map_task,
        sleep,
        wait_for_input,
    )

_FROM_SDK = frozenset(
    {
        "CronSchedule",
        "Email",
        "FixedRate",
        "LaunchPlan",
        "PagerDuty",
        "Slack",
        "Workflow",
        "approve",
        "conditional",
        "dynamic",
        "map_task",
        "sleep",
        "wait_for_input",
    }
)


def __getattr__(name: str) -> Any:
    # constructs most programs do not use load on first use (see slipstream.sdk)
    if name == "Remote":
        from slipstream.remote import Remote

        globals()[name] = Remote
        return Remote
    if name in _FROM_SDK or name == "map":
        import slipstream.sdk as sdk

        value = getattr(sdk, "map_task" if name == "map" else name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _local_executor():  # type: ignore[no-untyped-def]
    # The root package sits above every layer: it may wire the SDK to the runners, lazily.
    from slipstream.runners import run_local

    return run_local


_set_local_executor(_local_executor)

__version__ = "0.1.0"

__all__ = [
    "Annotations",
    "Deck",
    "ImageSpec",
    "Labels",
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
    "Remote",
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
