"""Where a registration may write and what it may call: the roles behind every identifier.

Registering code is running code, so every identifier inside a registration body is checked like
the top-level one, before anything is read or compared: each entity written (a workflow's closure
tasks and subworkflows included) lies in its workflow's project/domain, where the caller holds the
editor role; each entity called elsewhere (a reference stub, a launch plan node) lies where the
caller holds the launcher role. A conflict diff therefore only ever shows entities of a
project/domain the caller edits.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import msgspec

from slipstream.errors import PermissionDeniedError, ValidationError
from slipstream.model import BranchNode, CompiledWorkflow, Identifier, Node, Role

from .._auth import Principal
from ._references import is_reference

__all__ = ["check_walls", "require_role", "subworkflows", "walk"]


def require_role(
    caller: Principal | None, role: Role, project: str, domain: str, what: str
) -> None:
    """:class:`PermissionDeniedError` saying what ``what`` needs, unless ``caller`` (None: the
    server itself) holds ``role`` or a higher one on ``project``/``domain``."""
    if caller is None or caller.allows(role, project, domain):
        return
    held = caller.role_on(project, domain)
    has = f"holds {held.value}" if held is not None else "holds no role"
    raise PermissionDeniedError(
        f"{what}: that needs the {role.value} role on project {project!r}, domain "
        f"{domain!r}; user {caller.name!r} {has} there",
        details={"needed": role.value, "project": project, "domain": domain, "user": caller.name},
    )


def check_walls(written: Iterable[tuple[Identifier, Any]], caller: Principal | None) -> None:
    """Refuse an entity (identifier, spec) written where ``caller`` may not edit, one written
    outside its workflow's project/domain, and a call to where ``caller`` may not launch."""
    for ident, spec in written:
        _require(caller, Role.EDITOR, ident, f"registering {ident.resource_type} {ident}")
        if not isinstance(spec, CompiledWorkflow):
            continue
        wid = spec.workflow.id
        inner = [t.id for t in spec.tasks.values() if not is_reference(t)]
        inner += [sub.id for sub in spec.subworkflows.values()]
        for other in inner:
            _require(caller, Role.EDITOR, other, f"workflow {wid} writes {other}")
            if (other.project, other.domain) != (wid.project, wid.domain):
                raise ValidationError(
                    f"workflow {wid} holds {other.resource_type} {other} of another "
                    f"project/domain: the entities of a workflow's closure are registered in "
                    f"its own project {wid.project!r} and domain {wid.domain!r}",
                    details={"id": msgspec.to_builtins(other)},
                )
        for verb, ref in _calls(spec):
            if ref.project and ref.domain:
                _require(caller, Role.LAUNCHER, ref, f"workflow {wid} {verb} {ref}")


def subworkflows(spec: Any) -> Iterable[Any]:
    """The subworkflows of a spec (none unless it is a workflow)."""
    return spec.subworkflows.values() if isinstance(spec, CompiledWorkflow) else ()


def walk(wf: CompiledWorkflow) -> Iterator[Node]:
    """Every node of a workflow and its subworkflows, branches' nodes included."""
    for spec in (wf.workflow, *wf.subworkflows.values()):
        yield from _walk_nodes((*spec.nodes, spec.on_failure))


def _walk_nodes(nodes: Iterable[Node | None]) -> Iterator[Node]:
    for node in nodes:
        if node is None:
            continue
        yield node
        if isinstance(node.kind, BranchNode):
            yield from _walk_nodes(case.then for case in node.kind.cases)


def _calls(spec: CompiledWorkflow) -> Iterator[tuple[str, Identifier]]:
    """What a workflow calls elsewhere: its reference stubs and its launch plan nodes."""
    for t in spec.tasks.values():
        if is_reference(t):
            yield "references", t.id
    for node in walk(spec):
        lp = getattr(node.kind, "launch_plan", None)
        if isinstance(lp, Identifier):
            yield "launches", lp


def _require(caller: Principal | None, role: Role, ident: Identifier, what: str) -> None:
    require_role(caller, role, ident.project, ident.domain, what)
