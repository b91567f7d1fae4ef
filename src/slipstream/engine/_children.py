"""Nodes that run other nodes: subworkflows, taken branch cases, the workflow a ``@dynamic`` task
generated, and the workflow's failure handler. Each becomes a child :class:`Scope` whose nodes are
recorded under the parent's path before they run (``n3/n0``, ``n4/n5``, ``n3/dyn/n0``). The
failure handler's scope (``on_failure/n9``) is the executor's own."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from slipstream.errors import ErrorKind, FailureCode, SlipstreamError
from slipstream.model import (
    Binding,
    BranchNode,
    CacheStatus,
    CompiledWorkflow,
    ErrorInfo,
    ExecutionId,
    ExecutionPhase,
    Identifier,
    Interface,
    Kind,
    LaunchPlanNode,
    Node,
    NodePhase,
    Ref,
    ResourceType,
    WorkflowNode,
    WorkflowSpec,
)

from ._conditions import evaluate
from ._scope import NodeRun, Scope

if TYPE_CHECKING:
    from ._ops import Engine

__all__ = [
    "bind_error",
    "failure_scope",
    "start_branch",
    "start_child_execution",
    "start_dynamic",
    "start_subworkflow",
]


def _enter_child(ex: Engine, nr: NodeRun, child: Scope) -> None:
    nr.child = child
    ex.transition(nr, NodePhase.WAITING)
    ex.enter(child)


def start_subworkflow(ex: Engine, nr: NodeRun, kind: WorkflowNode | LaunchPlanNode) -> None:
    """Run a subworkflow (or a launch plan's workflow) inline, as children of ``nr``.

    Its inputs are the workflow's defaults, over them the node's, then what the node was given,
    and last a launch plan's fixed inputs.
    """
    spec = ex.subworkflows[kind.workflow]
    inputs = _defaults_of(spec.interface)
    inputs.update(_defaults_of(nr.node.interface))
    inputs.update(nr.inputs or {})
    if type(kind) is LaunchPlanNode:
        inputs.update(kind.fixed)
    _enter_child(ex, nr, Scope(f"{nr.path}/", spec, inputs, nr, nr.scope, nr.scope.tasks))


_POLL_FIRST_S = 0.05
_POLL_MAX_S = 1.0


def start_child_execution(
    ex: Engine, nr: NodeRun, kind: LaunchPlanNode | None = None, target: Identifier | None = None
) -> None:
    """Start a launch plan node's launch plan (or ``target``: the registered task, workflow or
    launch plan a reference node names) as a child execution and wait for its end.

    Starting is idempotent per (execution, node), so an engine host that resumes this execution
    finds the child it started before instead of starting a second one.
    """
    children = ex.children
    assert children is not None
    fixed = kind.fixed if kind is not None else {}
    what = target if target is not None else kind.launch_plan if kind is not None else None
    assert what is not None
    inputs = {k: v for k, v in (nr.inputs or {}).items() if k not in fixed}
    try:
        child = children.start(ex.id, nr.path, what, inputs)
    except Exception as e:
        label = "launch plan" if kind is not None else f"referenced {what.resource_type.value}"
        err = ErrorInfo(
            code=FailureCode.CHILD_START_FAILED,
            message=f"cannot start {label} {what}: {e}",
            kind=e.kind if isinstance(e, SlipstreamError) else ErrorKind.SYSTEM,
        )
        ex.node_failed(nr, err, None)
        return
    nr.record.child = child
    ex.transition(nr, NodePhase.WAITING)
    _poll_child(ex, nr, child, _POLL_FIRST_S)


def _poll_child(ex: Engine, nr: NodeRun, child: ExecutionId, delay: float) -> None:
    if ex.finished or nr.record.phase.terminal:
        return
    children = ex.children
    assert children is not None
    try:
        done = children.poll(child)
    except Exception:  # the database hiccuped: ask again later
        done = None
    if done is None:
        nxt = min(delay * 2, _POLL_MAX_S)
        ex.add_timer(delay, lambda: _poll_child(ex, nr, child, nxt))
        return
    if done.phase is ExecutionPhase.SUCCEEDED:
        ex.node_succeeded(nr, dict(done.outputs or {}), CacheStatus.DISABLED)
        return
    cause = done.error
    err = ErrorInfo(
        code=FailureCode.CHILD_FAILED,
        message=f"child execution {child.name} ended {done.phase.value}"
        + (f": {cause.message}" if cause is not None else ""),
        kind=cause.kind if cause is not None else ErrorKind.USER,
        type=cause.type if cause is not None else "",
        traceback=cause.traceback if cause is not None else "",
    )
    ex.node_failed(nr, err, None)


def start_branch(ex: Engine, nr: NodeRun, branch: BranchNode) -> None:
    """Evaluate a conditional's cases in order and run the first that holds."""
    scope = nr.scope
    try:
        for case in branch.cases:
            if case.condition is None or evaluate(case.condition, scope.lookup):
                if case.fail is not None:
                    err = ErrorInfo(
                        code=FailureCode.BRANCH_FAILED,
                        message=f"conditional {branch.name}: {case.fail}",
                        kind=ErrorKind.USER,
                    )
                    ex.node_failed(nr, err, None)
                    return
                assert case.then is not None
                _run_case(ex, nr, case.then)
                return
    except Exception as e:
        err = ErrorInfo(
            code=FailureCode.CONDITION_ERROR,
            message=f"conditional {branch.name}: cannot evaluate condition: {e}",
        )
        ex.node_failed(nr, err, None)
        return
    err = ErrorInfo(
        code=FailureCode.NO_BRANCH,
        message=f"conditional {branch.name}: no condition matched and no else",
    )
    ex.node_failed(nr, err, None)


def _run_case(ex: Engine, nr: NodeRun, then: Node) -> None:
    # the case's node reads its inputs from the scope around the branch (inherit=True); its
    # outputs become the branch's by position (a case may name them differently, e.g. an Echo)
    outputs = tuple(
        Binding(v.name, Ref(then.id, tv.name))
        for v, tv in zip(nr.node.interface.outputs, then.interface.outputs, strict=True)
    )
    spec = WorkflowSpec(
        id=Identifier(ResourceType.WORKFLOW, f"{nr.path}-case"),
        interface=nr.node.interface,
        nodes=(msgspec.structs.replace(then, upstream=()),),
        outputs=outputs,
    )
    parent = nr.scope
    child = Scope(f"{nr.path}/", spec, parent.inputs, nr, parent, parent.tasks, inherit=True)
    _enter_child(ex, nr, child)


def start_dynamic(ex: Engine, nr: NodeRun, closure: CompiledWorkflow, raw: bytes) -> None:
    """Run the workflow a ``@dynamic`` task generated, as children of its node."""
    nr.record.spec = raw
    ex.subworkflows.update(closure.subworkflows)
    tasks = {**nr.scope.tasks, **closure.tasks}
    _enter_child(ex, nr, Scope(f"{nr.path}/dyn/", closure.workflow, {}, nr, nr.scope, tasks))


def failure_scope(handler: Node, root: Scope) -> Scope:
    """The scope that runs a workflow's failure handler ``handler`` (``on_failure/n9``), reading
    the root scope's inputs."""
    spec = WorkflowSpec(
        id=Identifier(ResourceType.WORKFLOW, "on_failure"),
        interface=Interface(),
        nodes=(msgspec.structs.replace(handler, upstream=()),),
    )
    return Scope("on_failure/", spec, root.inputs, None, root, root.tasks, inherit=True)


def bind_error(nr: NodeRun, err: ErrorInfo) -> None:
    """Give a failure handler's ``err`` input the error (``message``, ``failed_node_id``)."""
    var = nr.node.interface.input("err")
    if var is None or nr.inputs is None:
        return
    value: Any = {"message": err.message, "failed_node_id": err.node}
    t = var.type
    if t.kind is Kind.UNION:
        variant = next((a for a in t.args if a.kind is not Kind.NONE), None)
        if variant is not None:
            value = {"$u": variant.tag, "v": value}
    nr.inputs["err"] = value


def _defaults_of(iface: Interface) -> dict[str, Any]:
    """The default literals of an interface's inputs."""
    return {v.name: v.default for v in iface.inputs if v.has_default}
