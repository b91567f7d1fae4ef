"""Reference entities at registration.

A workflow may call a task, workflow or launch plan registered elsewhere through a typed stub
(``reference_task``, ``reference_workflow``, ``reference_launch_plan``). The stub's template is
part of the workflow's closure, with the referenced identifier as its id; it is never registered
itself (that would put a stub where the real entity is, or beside it). Instead, registering the
workflow checks each stub against what the server holds: the referenced entity must exist (an
empty version means the newest), every input the stub passes must be an input of it of a type
the stub's value fits, every input it needs without a default must be in the stub, and the
outputs must match. The engine host then runs a reference node as a child execution of the
referenced entity (``engine/_children.start_child_execution``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slipstream.errors import NotFoundError, ValidationError
from slipstream.model import (
    CompiledWorkflow,
    Identifier,
    Interface,
    LaunchPlanSpec,
    ResourceType,
    TaskTemplate,
    Variable,
    is_assignable,
    type_str,
)

__all__ = ["REFERENCE", "check_reference", "is_reference", "referenced_interface"]

REFERENCE = "reference"
"""The template type of a reference stub."""

Fetch = Callable[[ResourceType, str, str, str, str], Any]
"""(kind, project, domain, name, version or "") -> the registered spec, or NotFoundError."""


def is_reference(spec: Any) -> bool:
    """Whether ``spec`` is the template of a reference stub."""
    return isinstance(spec, TaskTemplate) and spec.type == REFERENCE


def _where(ref: Identifier) -> str:
    at = f"@{ref.version}" if ref.version else " (newest version)"
    return f"{ref.resource_type.value} {ref.project}/{ref.domain}/{ref.name}{at}"


def referenced_interface(ref: Identifier, fetch: Fetch) -> Interface:
    """The interface a caller of ``ref`` sees: a launch plan's fixed inputs are not inputs and
    its default inputs have defaults."""
    rt = ref.resource_type
    try:
        spec = fetch(rt, ref.project, ref.domain, ref.name, ref.version)
    except NotFoundError:
        raise NotFoundError(
            f"reference to {_where(ref)}: no such entity is registered",
            details={"reference": {"resource_type": rt.value, "project": ref.project,
                                   "domain": ref.domain, "name": ref.name,
                                   "version": ref.version}},
        ) from None  # fmt: skip
    if isinstance(spec, TaskTemplate):
        return spec.interface
    if isinstance(spec, CompiledWorkflow):
        return spec.workflow.interface
    assert isinstance(spec, LaunchPlanSpec)
    wf = fetch(ResourceType.WORKFLOW, spec.workflow.project, spec.workflow.domain,
               spec.workflow.name, spec.workflow.version)  # fmt: skip
    inputs = []
    for v in wf.workflow.interface.inputs:
        if v.name in spec.fixed_inputs:
            continue
        if v.name in spec.default_inputs:
            v = Variable(v.name, v.type, v.description, True, spec.default_inputs[v.name])
        inputs.append(v)
    return Interface(tuple(inputs), wf.workflow.interface.outputs)


def check_reference(template: TaskTemplate, used_by: str, fetch: Fetch) -> None:
    """Refuse a reference stub whose interface does not fit the registered entity's."""
    ref = template.id
    if ref.resource_type not in (
        ResourceType.TASK,
        ResourceType.WORKFLOW,
        ResourceType.LAUNCH_PLAN,
    ):  # pragma: no cover - the model has no other kinds today
        raise ValidationError(f"{used_by}: a reference names {ref.resource_type.value}")
    if not ref.project or not ref.domain or not ref.name:
        raise ValidationError(
            f"{used_by}: a reference names no project, domain or name ({ref})",
        )
    target = referenced_interface(ref, fetch)
    stub = template.interface
    problems: list[str] = []
    for v in stub.inputs:
        t = target.input(v.name)
        if t is None:
            problems.append(f"input {v.name!r} of the stub is not an input of it")
        elif not is_assignable(v.type, t.type):
            problems.append(
                f"input {v.name!r} is {type_str(v.type)} in the stub but {type_str(t.type)} there"
            )
    given = {v.name for v in stub.inputs}
    for t in target.inputs:
        if t.name not in given and not t.has_default:
            problems.append(f"required input {t.name!r} ({type_str(t.type)}) is not in the stub")
    theirs = {v.name: v for v in target.outputs}
    mine = {v.name: v for v in stub.outputs}
    for name in sorted(set(theirs) | set(mine)):
        a, b = theirs.get(name), mine.get(name)
        if a is None:
            problems.append(f"output {name!r} of the stub is not an output of it")
        elif b is None:
            problems.append(f"its output {name!r} ({type_str(a.type)}) is not in the stub")
        elif not is_assignable(a.type, b.type):
            problems.append(
                f"output {name!r} is {type_str(b.type)} in the stub but {type_str(a.type)} there"
            )
    if problems:
        raise ValidationError(
            f"{used_by}: the stub of {_where(ref)} does not match its registered interface: "
            + "; ".join(problems),
            details={"problems": problems},
        )
