"""Authoring: tasks, workflows, promises and their compilation into the wire model."""

from ._checkpoint import Checkpoint, SyncCheckpoint
from ._compiler import NodeDraft, WorkflowBuilder, current_builder
from ._conditional import ConditionalSection, conditional
from ._context import (
    ExecutionIdentifier,
    ExecutionParameters,
    current_context,
    in_task,
    task_context,
)
from ._dynamic import DynamicTask, dynamic
from ._gates import approve, sleep, wait_for_input
from ._hooks import get_local_executor, set_local_executor
from ._imperative import Workflow
from ._launch_plan import LaunchPlan
from ._loader import load_file, resolve_loader
from ._map import MapTask, map_task
from ._naming import code_root_of
from ._promise import Comparison, Condition, Conjunction, NodeOutput, Promise
from ._resources import Cache, Resources, Secret
from ._schedule import CronSchedule, Email, FixedRate, PagerDuty, Slack
from ._signature import PyInterface, PyVar, extract_interface
from ._task import TASKS, PythonTask, bind_arguments, task
from ._workflow import (
    PythonWorkflow,
    WorkflowBase,
    WorkflowError,
    WorkflowFailurePolicy,
    workflow,
)

__all__ = [
    "TASKS",
    "Cache",
    "Checkpoint",
    "Comparison",
    "Condition",
    "ConditionalSection",
    "Conjunction",
    "CronSchedule",
    "DynamicTask",
    "Email",
    "ExecutionIdentifier",
    "ExecutionParameters",
    "FixedRate",
    "LaunchPlan",
    "MapTask",
    "NodeDraft",
    "NodeOutput",
    "PagerDuty",
    "Promise",
    "PyInterface",
    "PyVar",
    "PythonTask",
    "PythonWorkflow",
    "Resources",
    "Secret",
    "Slack",
    "SyncCheckpoint",
    "Workflow",
    "WorkflowBase",
    "WorkflowBuilder",
    "WorkflowError",
    "WorkflowFailurePolicy",
    "approve",
    "bind_arguments",
    "code_root_of",
    "conditional",
    "current_builder",
    "current_context",
    "dynamic",
    "extract_interface",
    "get_local_executor",
    "in_task",
    "load_file",
    "map_task",
    "resolve_loader",
    "set_local_executor",
    "sleep",
    "task",
    "task_context",
    "wait_for_input",
    "workflow",
]
