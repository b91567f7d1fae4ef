"""A task run on its own: the one-node workflow the engine runs for it."""

from __future__ import annotations

from slipstream.model import (
    Binding,
    CompiledWorkflow,
    Identifier,
    Node,
    Ref,
    ResourceType,
    TaskNode,
    TaskTemplate,
    WorkflowSpec,
)

__all__ = ["task_closure"]


def task_closure(t: TaskTemplate) -> CompiledWorkflow:
    """A workflow of one node, ``n0``, that calls ``t`` with the workflow's inputs."""
    node = Node(
        id="n0",
        kind=TaskNode(task=t.id.name),
        interface=t.interface,
        inputs=tuple(Binding(v.name, Ref("$in", v.name)) for v in t.interface.inputs),
    )
    spec = WorkflowSpec(
        id=Identifier(ResourceType.WORKFLOW, t.id.name, t.id.project, t.id.domain, t.id.version),
        interface=t.interface,
        nodes=(node,),
        outputs=tuple(Binding(v.name, Ref("n0", v.name)) for v in t.interface.outputs),
    )
    return CompiledWorkflow(workflow=spec, tasks={t.id.name: t})
