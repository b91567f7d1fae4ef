"""Workflow specs: nodes, the ways they run, and the compiled closure the engine executes."""

from __future__ import annotations

import enum
from typing import Union

import msgspec

from ._binding import Binding, BindingData
from ._identifier import Identifier
from ._interface import Interface
from ._literal_types import LiteralType
from ._task import ResourceSpec, TaskTemplate

__all__ = [
    "BranchCase",
    "BranchNode",
    "Comparison",
    "CompiledWorkflow",
    "Conjunction",
    "FailurePolicy",
    "GateNode",
    "LaunchPlanNode",
    "MapNode",
    "Node",
    "NodeKind",
    "NodeOverrides",
    "Operand",
    "Condition",
    "TaskNode",
    "WorkflowNode",
    "WorkflowSpec",
]


class FailurePolicy(enum.StrEnum):
    """What a workflow does when a node fails (flytekit's ``WorkflowFailurePolicy`` names)."""

    FAIL_IMMEDIATELY = "FAIL_IMMEDIATELY"
    FAIL_AFTER_EXECUTABLE_NODES_COMPLETE = "FAIL_AFTER_EXECUTABLE_NODES_COMPLETE"


class NodeOverrides(msgspec.Struct, frozen=True, omit_defaults=True):
    """Per call site overrides (``node.with_overrides(...)``)."""

    name: str | None = None
    retries: int | None = None
    timeout_s: float | None = None
    cache: bool | None = None
    cache_version: str | None = None
    interruptible: bool | None = None
    requests: ResourceSpec | None = None
    limits: ResourceSpec | None = None


class TaskNode(msgspec.Struct, frozen=True, tag="task"):
    """Runs a task; ``task`` is a key of :attr:`CompiledWorkflow.tasks`."""

    task: str


class WorkflowNode(msgspec.Struct, frozen=True, tag="workflow"):
    """Runs a subworkflow inline; ``workflow`` is a key of :attr:`CompiledWorkflow.subworkflows`."""

    workflow: str


class LaunchPlanNode(msgspec.Struct, frozen=True, tag="launch_plan", omit_defaults=True):
    """Starts a launch plan as a child execution. ``fixed`` inputs are merged over the bindings."""

    launch_plan: Identifier
    workflow: str
    fixed: dict[str, object] = {}


class MapNode(msgspec.Struct, frozen=True, tag="map", omit_defaults=True):
    """Runs ``task`` once per item of the ``mapped`` list inputs (zipped)."""

    task: str
    mapped: tuple[str, ...]
    concurrency: int | None = None
    min_success_ratio: float = 1.0


class Operand(msgspec.Struct, frozen=True):
    """One side of a comparison: a binding (promise or constant)."""

    data: BindingData


class Comparison(msgspec.Struct, frozen=True, tag="cmp"):
    """``left op right`` where op is one of ``< <= > >= == !=``, or ``is_none``/``is_true``..."""

    op: str
    left: Operand
    right: Operand | None = None


class Conjunction(msgspec.Struct, frozen=True, tag="conj"):
    """``left and right`` / ``left or right``."""

    op: str
    left: Condition
    right: Condition


Condition = Union[Comparison, Conjunction]


class BranchCase(msgspec.Struct, frozen=True, omit_defaults=True):
    """``if condition: then``; the else case has no condition. ``fail`` ends the workflow."""

    condition: Condition | None = None
    then: Node | None = None
    fail: str | None = None


class BranchNode(msgspec.Struct, frozen=True, tag="branch"):
    """A conditional: the first case whose condition holds runs its node."""

    name: str
    cases: tuple[BranchCase, ...]


class GateNode(msgspec.Struct, frozen=True, tag="gate", omit_defaults=True):
    """``sleep``, ``wait_for_input`` or ``approve``."""

    gate: str
    name: str = ""
    timeout_s: float | None = None
    duration_s: float | None = None
    value_type: LiteralType | None = None


NodeKind = Union[TaskNode, WorkflowNode, LaunchPlanNode, MapNode, BranchNode, GateNode]


class Node(msgspec.Struct, frozen=True, omit_defaults=True):
    """One step of a workflow.

    ``upstream`` lists every node that must finish first (data dependencies and ``>>``).
    ``interface`` is the node's own interface (the task's, the subworkflow's, the branch's outputs).
    ``location`` is ``file.py:LINE`` of the call that made the node, for errors.
    """

    id: str
    kind: NodeKind
    interface: Interface
    inputs: tuple[Binding, ...] = ()
    upstream: tuple[str, ...] = ()
    overrides: NodeOverrides = NodeOverrides()
    location: str = ""


class WorkflowSpec(msgspec.Struct, frozen=True, omit_defaults=True):
    """A compiled workflow: its interface, nodes, output bindings and failure handling."""

    id: Identifier
    interface: Interface
    nodes: tuple[Node, ...]
    outputs: tuple[Binding, ...] = ()
    failure_policy: FailurePolicy = FailurePolicy.FAIL_IMMEDIATELY
    on_failure: Node | None = None
    docs: str = ""


class CompiledWorkflow(msgspec.Struct, frozen=True, omit_defaults=True):
    """The closure the engine runs: a workflow with every task and subworkflow it uses.

    Keys of ``tasks`` and ``subworkflows`` are the entities' names (unique within the closure).
    """

    workflow: WorkflowSpec
    tasks: dict[str, TaskTemplate] = {}
    subworkflows: dict[str, WorkflowSpec] = {}
