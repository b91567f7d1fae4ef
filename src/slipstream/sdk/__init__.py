"""Authoring: tasks, workflows, promises and their compilation into the wire model.

The constructs most programs do not use (maps, dynamic workflows, conditionals, launch plans,
schedules, gates, imperative workflows) load on first use, to keep ``import slipstream`` cheap.
"""

import importlib
from typing import TYPE_CHECKING, Any

from slipstream._hooks import get_local_executor, set_local_executor

from ._checkpoint import Checkpoint, SyncCheckpoint
from ._compat import (
    Annotations,
    Description,
    Documentation,
    ImageSpec,
    Labels,
    PodTemplate,
    SourceCode,
    create_node,
    logger,
)
from ._compiler import NodeDraft, WorkflowBuilder, current_builder
from ._context import (
    Deck,
    ExecutionIdentifier,
    ExecutionParameters,
    current_context,
    in_task,
    task_context,
)
from ._deck import (
    ImageRenderer,
    MarkdownRenderer,
    TableRenderer,
    TopFrameRenderer,
    render_decks,
)
from ._eager_calls import eager_calls
from ._loader import load_file, resolve_loader
from ._naming import code_root_of, package_root
from ._promise import Comparison, Condition, Conjunction, NodeOutput, Promise
from ._resources import Cache, Resources
from ._secrets import Secret, SecretsManager
from ._signature import PyInterface, PyVar, extract_interface
from ._task import TASKS, PythonTask, bind_arguments, task
from ._workflow import (
    PythonWorkflow,
    WorkflowBase,
    WorkflowError,
    WorkflowFailurePolicy,
    workflow,
)

if TYPE_CHECKING:
    from ._conditional import ConditionalSection, conditional
    from ._custom_task import CustomTask, Interface, SQLTask, TaskMetadata
    from ._dynamic import DynamicTask, dynamic
    from ._eager import EagerWorkflow, eager
    from ._echo import Echo
    from ._flyte_context import FileAccessProvider, FlyteContext, FlyteContextManager
    from ._flyte_types import (
        Blob,
        BlobMetadata,
        BlobType,
        FlyteLiteralType,
        FlyteTypeEngine,
        FlyteTypeTransformer,
        Literal,
        Primitive,
        Scalar,
        SimpleType,
    )
    from ._gates import approve, sleep, wait_for_input
    from ._imperative import Workflow
    from ._launch_plan import LaunchPlan
    from ._map import MapTask, map_task
    from ._reference import (
        ReferenceEntity,
        reference_launch_plan,
        reference_task,
        reference_workflow,
    )
    from ._schedule import CronSchedule, Email, FixedRate, PagerDuty, Slack, Webhook
    from ._shell import OutputLocation, ShellTask
    from ._testing import patch, task_mock

_LAZY = {
    "ConditionalSection": "_conditional",
    "conditional": "_conditional",
    "DynamicTask": "_dynamic",
    "dynamic": "_dynamic",
    "EagerWorkflow": "_eager",
    "eager": "_eager",
    "Echo": "_echo",
    "CustomTask": "_custom_task",
    "Interface": "_custom_task",
    "SQLTask": "_custom_task",
    "TaskMetadata": "_custom_task",
    "FileAccessProvider": "_flyte_context",
    "FlyteContext": "_flyte_context",
    "FlyteContextManager": "_flyte_context",
    "Blob": "_flyte_types",
    "BlobMetadata": "_flyte_types",
    "BlobType": "_flyte_types",
    "FlyteLiteralType": "_flyte_types",
    "FlyteTypeEngine": "_flyte_types",
    "FlyteTypeTransformer": "_flyte_types",
    "Literal": "_flyte_types",
    "Primitive": "_flyte_types",
    "Scalar": "_flyte_types",
    "SimpleType": "_flyte_types",
    "patch": "_testing",
    "task_mock": "_testing",
    "OutputLocation": "_shell",
    "ShellTask": "_shell",
    "approve": "_gates",
    "sleep": "_gates",
    "wait_for_input": "_gates",
    "Workflow": "_imperative",
    "LaunchPlan": "_launch_plan",
    "MapTask": "_map",
    "map_task": "_map",
    "ReferenceEntity": "_reference",
    "reference_launch_plan": "_reference",
    "reference_task": "_reference",
    "reference_workflow": "_reference",
    "CronSchedule": "_schedule",
    "Email": "_schedule",
    "FixedRate": "_schedule",
    "PagerDuty": "_schedule",
    "Slack": "_schedule",
    "Webhook": "_schedule",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "Annotations",
    "Blob",
    "BlobMetadata",
    "BlobType",
    "Cache",
    "Checkpoint",
    "Comparison",
    "Condition",
    "ConditionalSection",
    "Conjunction",
    "CronSchedule",
    "CustomTask",
    "Deck",
    "Description",
    "Documentation",
    "DynamicTask",
    "EagerWorkflow",
    "Echo",
    "Email",
    "ExecutionIdentifier",
    "ExecutionParameters",
    "FileAccessProvider",
    "FixedRate",
    "FlyteContext",
    "FlyteContextManager",
    "FlyteLiteralType",
    "FlyteTypeEngine",
    "FlyteTypeTransformer",
    "ImageRenderer",
    "ImageSpec",
    "Interface",
    "Labels",
    "LaunchPlan",
    "Literal",
    "MapTask",
    "MarkdownRenderer",
    "NodeDraft",
    "NodeOutput",
    "OutputLocation",
    "PagerDuty",
    "PodTemplate",
    "Primitive",
    "Promise",
    "PyInterface",
    "PyVar",
    "PythonTask",
    "PythonWorkflow",
    "ReferenceEntity",
    "Resources",
    "SQLTask",
    "Scalar",
    "Secret",
    "SecretsManager",
    "ShellTask",
    "SimpleType",
    "Slack",
    "SourceCode",
    "SyncCheckpoint",
    "TASKS",
    "TableRenderer",
    "TaskMetadata",
    "TopFrameRenderer",
    "Webhook",
    "Workflow",
    "WorkflowBase",
    "WorkflowBuilder",
    "WorkflowError",
    "WorkflowFailurePolicy",
    "approve",
    "bind_arguments",
    "code_root_of",
    "conditional",
    "create_node",
    "current_builder",
    "current_context",
    "dynamic",
    "eager",
    "eager_calls",
    "extract_interface",
    "get_local_executor",
    "in_task",
    "load_file",
    "logger",
    "map_task",
    "package_root",
    "patch",
    "reference_launch_plan",
    "reference_task",
    "reference_workflow",
    "render_decks",
    "resolve_loader",
    "set_local_executor",
    "sleep",
    "task",
    "task_context",
    "task_mock",
    "wait_for_input",
    "workflow",
]
