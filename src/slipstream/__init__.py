"""slipstream: typed workflows for machine learning and data processing.

The authoring API follows flytekit's: ``@task``, ``@workflow``, ``map_task``, ``dynamic``,
``conditional``, ``LaunchPlan``, ``Resources``, ``current_context()``, ``File``, ``Directory``,
``StructuredDataset``... so that Flyte code moves over with an import change.

Importing this package does nothing but install the local executor's factory: each public name is
imported from its layer on first use (``from slipstream import task`` loads the SDK then), so that
``import slipstream`` and every ``slipstream`` command stay fast.
"""

from typing import TYPE_CHECKING, Any

from slipstream import _hooks

if TYPE_CHECKING:
    from slipstream.errors import (
        CompileError,
        ConfigError,
        EagerException,
        ExecutionFailedError,
        LiteralTypeError,
        SlipstreamError,
    )
    from slipstream.remote import Remote
    from slipstream.sdk import (
        Annotations,
        Cache,
        Checkpoint,
        CronSchedule,
        Deck,
        Description,
        Documentation,
        Echo,
        Email,
        ExecutionParameters,
        FixedRate,
        FlyteContext,
        FlyteContextManager,
        ImageSpec,
        Labels,
        LaunchPlan,
        OutputLocation,
        PagerDuty,
        PodTemplate,
        PythonTask,
        PythonWorkflow,
        Resources,
        Secret,
        SecretsManager,
        ShellTask,
        Slack,
        SourceCode,
        SQLTask,
        SyncCheckpoint,
        TaskMetadata,
        Webhook,
        Workflow,
        WorkflowError,
        WorkflowFailurePolicy,
        approve,
        conditional,
        create_node,
        current_context,
        dynamic,
        eager,
        logger,
        map_task,
        reference_launch_plan,
        reference_task,
        reference_workflow,
        sleep,
        task,
        wait_for_input,
        workflow,
    )
    from slipstream.types import (
        BatchSize,
        Directory,
        File,
        HashMethod,
        StructuredDataset,
        StructuredDatasetTransformerEngine,
        StructuredDatasetType,
        kwtypes,
    )

    StructuredDatasetFormat = str

    FlyteFile = File
    FlyteDirectory = Directory
    FlyteError = WorkflowError
    PythonFunctionTask = PythonTask
    from slipstream.sdk import Blob, BlobMetadata, BlobType, Literal, Scalar
    from slipstream.sdk import FlyteLiteralType as LiteralType

    map = map_task
    from slipstream.model import ExecutionPhase as WorkflowExecutionPhase

__version__ = "0.1.0"

# public name -> (module, attribute)
_EXPORTS: dict[str, tuple[str, str]] = {
    **{
        n: ("slipstream.errors", n)
        for n in (
            "CompileError",
            "ConfigError",
            "EagerException",
            "ExecutionFailedError",
            "LiteralTypeError",
            "SlipstreamError",
        )
    },
    **{
        n: ("slipstream.sdk", n)
        for n in (
            "Annotations",
            "Cache",
            "Checkpoint",
            "CronSchedule",
            "Deck",
            "Description",
            "Documentation",
            "Echo",
            "Email",
            "ExecutionParameters",
            "FixedRate",
            "FlyteContext",
            "FlyteContextManager",
            "ImageSpec",
            "Labels",
            "LaunchPlan",
            "OutputLocation",
            "PagerDuty",
            "PodTemplate",
            "PythonTask",
            "PythonWorkflow",
            "Resources",
            "Secret",
            "SecretsManager",
            "ShellTask",
            "Slack",
            "SourceCode",
            "SQLTask",
            "SyncCheckpoint",
            "TaskMetadata",
            "Webhook",
            "Workflow",
            "WorkflowError",
            "WorkflowFailurePolicy",
            "approve",
            "conditional",
            "create_node",
            "current_context",
            "dynamic",
            "eager",
            "logger",
            "map_task",
            "reference_launch_plan",
            "reference_task",
            "reference_workflow",
            "sleep",
            "task",
            "wait_for_input",
            "workflow",
        )
    },
    **{
        n: ("slipstream.types", n)
        for n in (
            "BatchSize",
            "Directory",
            "File",
            "HashMethod",
            "StructuredDataset",
            "StructuredDatasetTransformerEngine",
            "StructuredDatasetType",
            "kwtypes",
        )
    },
    "StructuredDatasetFormat": ("builtins", "str"),
    "FlyteFile": ("slipstream.types", "File"),
    "FlyteDirectory": ("slipstream.types", "Directory"),
    "FlyteError": ("slipstream.sdk", "WorkflowError"),
    "PythonFunctionTask": ("slipstream.sdk", "PythonTask"),
    "Blob": ("slipstream.sdk", "Blob"),
    "BlobMetadata": ("slipstream.sdk", "BlobMetadata"),
    "BlobType": ("slipstream.sdk", "BlobType"),
    "Literal": ("slipstream.sdk", "Literal"),
    "LiteralType": ("slipstream.sdk", "FlyteLiteralType"),
    "Scalar": ("slipstream.sdk", "Scalar"),
    "map": ("slipstream.sdk", "map_task"),
    "Remote": ("slipstream.remote", "Remote"),
    "WorkflowExecutionPhase": ("slipstream.model", "ExecutionPhase"),
}


def __getattr__(name: str) -> Any:
    target = _EXPORTS.get(name)
    if target is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(target[0]), target[1])
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def _local_executor() -> Any:
    # The root package sits above every layer: it may wire the SDK to the runners, lazily.
    from slipstream.runners import run_local

    return run_local


_hooks.set_local_executor(_local_executor)

__all__ = [
    "Annotations",
    "BatchSize",
    "Blob",
    "BlobMetadata",
    "BlobType",
    "Cache",
    "Checkpoint",
    "CompileError",
    "ConfigError",
    "CronSchedule",
    "Deck",
    "Description",
    "Directory",
    "Documentation",
    "EagerException",
    "Echo",
    "Email",
    "ExecutionFailedError",
    "ExecutionParameters",
    "File",
    "FixedRate",
    "FlyteContext",
    "FlyteContextManager",
    "FlyteDirectory",
    "FlyteError",
    "FlyteFile",
    "HashMethod",
    "ImageSpec",
    "Labels",
    "LaunchPlan",
    "Literal",
    "LiteralType",
    "LiteralTypeError",
    "OutputLocation",
    "PagerDuty",
    "PodTemplate",
    "PythonFunctionTask",
    "PythonTask",
    "PythonWorkflow",
    "Remote",
    "Resources",
    "SQLTask",
    "Scalar",
    "Secret",
    "SecretsManager",
    "ShellTask",
    "Slack",
    "SlipstreamError",
    "SourceCode",
    "StructuredDataset",
    "StructuredDatasetFormat",
    "StructuredDatasetTransformerEngine",
    "StructuredDatasetType",
    "SyncCheckpoint",
    "TaskMetadata",
    "Webhook",
    "Workflow",
    "WorkflowError",
    "WorkflowExecutionPhase",
    "WorkflowFailurePolicy",
    "approve",
    "conditional",
    "create_node",
    "current_context",
    "dynamic",
    "eager",
    "kwtypes",
    "logger",
    "map_task",
    "reference_launch_plan",
    "reference_task",
    "reference_workflow",
    "sleep",
    "task",
    "wait_for_input",
    "workflow",
]
