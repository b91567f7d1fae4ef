"""Authoring: tasks, workflows, promises and their compilation into the wire model."""

from ._checkpoint import Checkpoint, SyncCheckpoint
from ._compiler import NodeDraft, WorkflowBuilder, current_builder
from ._context import ExecutionParameters, current_context, in_task, task_context
from ._context import ExecutionIdentifier
from ._hooks import get_local_executor, set_local_executor
from ._imperative import Workflow
from ._loader import load_file, resolve_loader
from ._promise import Comparison, Condition, Conjunction, NodeOutput, Promise
from ._resources import Cache, Resources, Secret
from ._signature import PyInterface, PyVar, extract_interface
from ._task import TASKS, PythonTask, bind_arguments, task
from ._workflow import PythonWorkflow, WorkflowBase, WorkflowFailurePolicy, workflow

__all__ = [
    "TASKS",
    "Cache",
    "Checkpoint",
    "Comparison",
    "Condition",
    "Conjunction",
    "ExecutionIdentifier",
    "ExecutionParameters",
    "NodeDraft",
    "NodeOutput",
    "Promise",
    "PyInterface",
    "PyVar",
    "PythonTask",
    "PythonWorkflow",
    "Resources",
    "Secret",
    "SyncCheckpoint",
    "Workflow",
    "WorkflowBase",
    "WorkflowBuilder",
    "WorkflowFailurePolicy",
    "bind_arguments",
    "current_builder",
    "current_context",
    "extract_interface",
    "get_local_executor",
    "in_task",
    "load_file",
    "resolve_loader",
    "set_local_executor",
    "task",
    "task_context",
    "workflow",
]
