"""Specs built straight from the wire model, for registering without the SDK."""

from __future__ import annotations

from slipstream.model import (
    Binding,
    CompiledWorkflow,
    Identifier,
    Interface,
    Kind,
    LaunchPlanSpec,
    LiteralType,
    Node,
    Ref,
    ResourceSpec,
    ResourceType,
    TaskLoader,
    TaskMetadata,
    TaskNode,
    TaskTemplate,
    Variable,
    WorkflowSpec,
)

INT = LiteralType(Kind.INT)
IFACE = Interface(inputs=(Variable("x", INT),), outputs=(Variable("o0", INT),))


def ident(rt: ResourceType, name: str, project: str, domain: str, version: str) -> Identifier:
    """An identifier."""
    return Identifier(rt, name, project, domain, version)


def task(
    name: str,
    project: str,
    domain: str = "development",
    version: str = "v1",
    *,
    cpu: str | None = None,
    retries: int = 0,
) -> TaskTemplate:
    """A python task ``name`` with an optional CPU request and retries."""
    return TaskTemplate(
        id=ident(ResourceType.TASK, name, project, domain, version),
        interface=IFACE,
        loader=TaskLoader(module="mod", qualname=name.split(".")[-1], file="mod.py"),
        metadata=TaskMetadata(retries=retries),
        requests=ResourceSpec(cpu=cpu),
    )


def workflow(
    name: str,
    project: str,
    domain: str = "development",
    version: str = "v1",
    tasks: tuple[TaskTemplate, ...] = (),
) -> CompiledWorkflow:
    """A workflow running each task once, in a chain."""
    nodes = []
    prev = None
    for i, t in enumerate(tasks):
        src = Ref("start", "x") if prev is None else Ref(prev, "o0")
        nodes.append(
            Node(
                id=f"n{i}",
                kind=TaskNode(task=t.id.name),
                interface=IFACE,
                inputs=(Binding("x", src),),
                upstream=() if prev is None else (prev,),
            )
        )
        prev = f"n{i}"
    spec = WorkflowSpec(
        id=ident(ResourceType.WORKFLOW, name, project, domain, version),
        interface=IFACE,
        nodes=tuple(nodes),
        outputs=(Binding("o0", Ref(prev, "o0")),) if prev else (),
    )
    return CompiledWorkflow(workflow=spec, tasks={t.id.name: t for t in tasks})


def launch_plan(
    name: str,
    wf: CompiledWorkflow,
    *,
    defaults: dict[str, object] | None = None,
) -> LaunchPlanSpec:
    """A launch plan of ``wf`` in the same project, domain and version."""
    w = wf.workflow.id
    return LaunchPlanSpec(
        id=ident(ResourceType.LAUNCH_PLAN, name, w.project, w.domain, w.version),
        workflow=w,
        default_inputs=dict(defaults or {}),
    )
