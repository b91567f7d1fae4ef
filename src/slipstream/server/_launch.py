"""Starting executions: create (from a launch plan, a workflow's default launch plan, or a task),
relaunch and recover.

Everything is checked before anything is stored: the target exists, the inputs are exactly the
interface's (none missing, none unknown, none fixed by the launch plan) and every literal has its
input's type. A new execution is stored QUEUED with one ``created`` event; the engine host picks
it up from there.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from slipstream.errors import ConflictError, InputError, NotFoundError, ValidationError
from slipstream.model import (
    CompiledWorkflow,
    ExecutionCreate,
    ExecutionId,
    ExecutionPhase,
    ExecutionRecord,
    ExecutionSpec,
    Identifier,
    Interface,
    Kind,
    LaunchPlanSpec,
    RelaunchRequest,
    ResourceType,
    TaskTemplate,
    Variable,
    literal_problem,
    type_str,
)

from ._db import Database
from ._execution_rows import add_event, decode_record, find_row, record_row
from ._names import LATEST, check_domain, check_name, check_project, check_version
from ._projects import ProjectService
from ._registry import Registry, decode_spec
from ._tables import ExecutionRow

__all__ = ["LaunchService", "check_actor", "check_labels"]

_RECOVERABLE = frozenset({ExecutionPhase.FAILED, ExecutionPhase.ABORTED, ExecutionPhase.TIMED_OUT})
_MAX_LABELS = 64


@dataclass(frozen=True)
class _Resolved:
    """What a target resolves to: the task or workflow run, its launch plan, and its inputs."""

    target: Identifier
    interface: Interface
    launch_plan: LaunchPlanSpec | None
    label: str


def check_actor(actor: str, field: str) -> str:
    """Who asks: at most 255 characters, no NUL; empty means unknown."""
    if not isinstance(actor, str) or len(actor) > 255 or "\x00" in actor:
        raise ValidationError(f"{field} must have at most 255 characters and no NUL")
    return actor or "unknown"


def check_labels(labels: dict[str, str], field: str) -> None:
    """Labels and annotations: at most 64 keys of at most 255 characters, values of at most 1024."""
    if len(labels) > _MAX_LABELS:
        raise ValidationError(f"{field}: at most {_MAX_LABELS} entries, got {len(labels)}")
    for key, value in labels.items():
        if not key or len(key) > 255 or len(value) > 1024:
            raise ValidationError(
                f"{field}: key {key[:40]!r} must have 1 to 255 characters and its value at most 1024"
            )


def child_name(parent: ExecutionId, node: str) -> str:
    """The name of the child execution a launch plan node starts: stable, so that a resumed
    parent finds the child it already started."""
    import hashlib

    digest = hashlib.sha256(f"{parent.project}/{parent.domain}/{parent.name}/{node}".encode())
    return f"{parent.name[:40]}-c{digest.hexdigest()[:12]}"


def new_name() -> str:
    """A generated execution name: a letter and 19 random hex digits (unique in practice; the
    table's unique constraint makes sure)."""
    return "e" + secrets.token_hex(10)[:19]


class LaunchService:
    """Creates executions; see the module docstring."""

    def __init__(self, db: Database, projects: ProjectService, registry: Registry) -> None:
        self.db = db
        self.projects = projects
        self.registry = registry

    # -- create -------------------------------------------------------------------------------

    def create(
        self,
        request: ExecutionCreate,
        actor: str = "",
        *,
        parent: tuple[ExecutionId, str] | None = None,
    ) -> ExecutionRecord:
        """Validate and store a new QUEUED execution of ``request.target``.

        ``parent`` (execution, node path) links a child execution that a launch plan node of
        another execution started.
        """
        actor = check_actor(actor or request.launched_by, "launched_by")
        target = request.target
        check_project(target.project)
        check_domain(target.domain, self.projects.domains)
        check_name(target.name)
        if target.version and target.version != LATEST:
            check_version(target.version)
        if request.name:
            _check_execution_name(request.name)
        if request.max_parallelism is not None and request.max_parallelism < 1:
            raise ValidationError(
                f"max_parallelism must be at least 1, got {request.max_parallelism}"
            )
        check_labels(request.labels, "labels")
        check_labels(request.annotations, "annotations")
        with self.db.session() as session:
            self.projects.require(session, target.project, active=True)
            resolved = self._resolve(session, target)
            inputs = _resolve_inputs(resolved, request.inputs)
        lp = resolved.launch_plan
        spec = ExecutionSpec(
            target=resolved.target,
            inputs=inputs,
            launch_plan=lp.id if lp is not None else None,
            max_parallelism=request.max_parallelism
            if request.max_parallelism is not None
            else (lp.max_parallelism if lp is not None else None),
            labels={**(lp.labels if lp else {}), **request.labels},
            annotations={**(lp.annotations if lp else {}), **request.annotations},
            launched_by=actor,
            parent_execution=parent[0] if parent is not None else None,
            parent_node=parent[1] if parent is not None else "",
        )
        return self._insert(target.project, target.domain, request.name, spec, actor)

    def create_child(
        self, parent: ExecutionId, node: str, launch_plan: Identifier, inputs: dict[str, Any]
    ) -> ExecutionRecord:
        """The child execution of ``parent``'s launch plan node ``node``: created on the first
        call, found on later ones (its name is made from the parent's and the node's)."""
        name = child_name(parent, node)
        request = ExecutionCreate(target=launch_plan, inputs=inputs, name=name)
        try:
            return self.create(request, f"execution {parent.name}", parent=(parent, node))
        except ConflictError:
            with self.db.session() as session:
                row = find_row(
                    session, launch_plan.project, launch_plan.domain, name, self.projects.domains
                )
                return decode_record(row)

    def _resolve(self, session: Session, target: Identifier) -> _Resolved:
        version = target.version or LATEST
        rt = target.resource_type

        def fetch(kind: ResourceType, name: str, ver: str) -> Any:
            row = self.registry.get_row(session, kind, target.project, target.domain, name, ver)
            return decode_spec(row)

        if rt is ResourceType.TASK:
            task: TaskTemplate = fetch(rt, target.name, version)
            return _Resolved(task.id, task.interface, None, f"task {task.id}")
        if rt is ResourceType.LAUNCH_PLAN:
            lp: LaunchPlanSpec = fetch(rt, target.name, version)
            wf: CompiledWorkflow = fetch(
                ResourceType.WORKFLOW, lp.workflow.name, lp.workflow.version
            )
            return _Resolved(wf.workflow.id, wf.workflow.interface, lp, f"launch plan {lp.id}")
        wf = fetch(ResourceType.WORKFLOW, target.name, version)
        wid = wf.workflow.id
        try:
            lp = fetch(ResourceType.LAUNCH_PLAN, wid.name, wid.version)
        except NotFoundError:  # registered without its default launch plan
            return _Resolved(wid, wf.workflow.interface, None, f"workflow {wid}")
        if lp.workflow != wid:
            return _Resolved(wid, wf.workflow.interface, None, f"workflow {wid}")
        return _Resolved(wid, wf.workflow.interface, lp, f"workflow {wid}")

    # -- relaunch and recover -----------------------------------------------------------------

    def relaunch(
        self, project: str, domain: str, name: str, request: RelaunchRequest, actor: str = ""
    ) -> ExecutionRecord:
        """A new execution of the same target with the same inputs."""
        return self._again(project, domain, name, request, actor, "relaunch")

    def recover(
        self, project: str, domain: str, name: str, request: RelaunchRequest, actor: str = ""
    ) -> ExecutionRecord:
        """A new execution that reuses what succeeded in a failed, aborted or timed-out one (the
        engine host copies the source's succeeded nodes)."""
        return self._again(project, domain, name, request, actor, "recover")

    def _again(
        self,
        project: str,
        domain: str,
        name: str,
        request: RelaunchRequest,
        actor: str,
        mode: str,
    ) -> ExecutionRecord:
        actor = check_actor(actor or request.launched_by, "launched_by")
        if request.name:
            _check_execution_name(request.name)
        with self.db.session() as session:
            self.projects.require(session, project, active=True)
            source = decode_record(find_row(session, project, domain, name, self.projects.domains))
        if mode == "recover" and source.phase not in _RECOVERABLE:
            allowed = ", ".join(sorted(p.value for p in _RECOVERABLE))
            raise ValidationError(
                f"execution {source.id} is {source.phase.value}: only a {allowed} execution can "
                "be recovered (relaunch it instead)",
                details={"phase": source.phase.value},
            )
        spec = msgspec.structs.replace(
            source.spec, mode=mode, source_execution=source.id, launched_by=actor
        )
        return self._insert(project, domain, request.name, spec, actor)

    # -- storing ------------------------------------------------------------------------------

    def _insert(
        self, project: str, domain: str, name: str, spec: ExecutionSpec, actor: str
    ) -> ExecutionRecord:
        for _ in range(3):
            now = time.time()
            record = ExecutionRecord(
                id=ExecutionId(project, domain, name or new_name()),
                spec=spec,
                phase=ExecutionPhase.QUEUED,
                created_at=now,
            )
            try:
                with self.db.session() as session:
                    row = record_row(record, now)
                    if spec.parent_execution is not None:
                        row.parent_id = self._parent_id(session, spec.parent_execution)
                    session.add(row)
                    session.flush()
                    payload: dict[str, Any] = {"phase": record.phase.value, "mode": spec.mode}
                    if spec.source_execution is not None:
                        payload["source"] = spec.source_execution.name
                    add_event(session, row.id, "created", actor, payload)
                return record
            except IntegrityError:
                if name:
                    raise ConflictError(
                        f"an execution named {name!r} already exists in {project}/{domain}",
                        details={"name": name},
                    ) from None
        raise ConflictError("could not generate a unique execution name; retry")

    def _parent_id(self, session: Session, parent: ExecutionId) -> int | None:
        return session.scalars(
            select(ExecutionRow.id).where(
                ExecutionRow.project == parent.project,
                ExecutionRow.domain == parent.domain,
                ExecutionRow.name == parent.name,
            )
        ).first()


def _check_execution_name(name: str) -> None:
    """Execution names: letters, digits, ``_ . -``, starting with a letter or digit, at most 64."""
    check_name(name)
    if len(name) > 64:
        raise ValidationError(
            f"invalid execution name {name[:70]!r}: at most 64 characters",
            details={"field": "name", "value": name},
        )


def _unregistered_default(v: Variable) -> bool:
    """Whether the interface's default of ``v`` was left out at registration: the SDK registers
    ``None`` for a default that lives in the blob store (a local ``File``, a DataFrame), which only
    a type that takes ``None`` could run with."""
    return (
        v.default is None
        and v.type.kind is not Kind.UNION
        and literal_problem(None, v.type) is not None
    )


def _resolve_inputs(resolved: _Resolved, given: dict[str, Any]) -> dict[str, Any]:
    """The inputs an execution runs with: interface defaults, then the launch plan's defaults,
    then ``given``, then the launch plan's fixed inputs; every literal checked against its type."""
    iface = resolved.interface
    lp = resolved.launch_plan
    fixed = lp.fixed_inputs if lp is not None else {}
    what = resolved.label
    declared = {v.name: v for v in iface.inputs}
    unknown = sorted(k for k in given if k not in declared)
    if unknown:
        expected = ", ".join(f"{v.name}: {type_str(v.type)}" for v in iface.inputs) or "none"
        raise InputError(
            f"{what}: unknown input(s) {', '.join(map(repr, unknown))} (its inputs: {expected})",
            details={"unknown": unknown},
        )
    overridden = sorted(k for k in given if k in fixed)
    if overridden:
        name = overridden[0]
        raise InputError(
            f"{what}: input {name!r} is fixed by the launch plan to {fixed[name]!r} and cannot "
            "be overridden",
            details={"input": name, "fixed": True},
        )
    values: dict[str, Any] = {}
    local_defaults: set[str] = set()
    for v in iface.inputs:
        if v.has_default and _unregistered_default(v):
            local_defaults.add(v.name)
        elif v.has_default:
            values[v.name] = v.default
    if lp is not None:
        values.update(lp.default_inputs)
    values.update(given)
    values.update(fixed)
    missing = [v for v in iface.inputs if v.name not in values]
    if missing:
        names = ", ".join(f"{v.name!r} ({type_str(v.type)})" for v in missing)
        hint = ""
        if local_defaults.intersection(v.name for v in missing):
            hint = (
                ": a default that is a local file, directory or DataFrame stays in the code "
                "(it is not registered); give the input (local data is uploaded to the server)"
            )
        raise InputError(
            f"{what}: missing required input(s) {names}{hint}",
            details={
                "missing": [{"input": v.name, "type": type_str(v.type)} for v in missing],
            },
        )
    checked = {*given, *fixed, *(lp.default_inputs if lp is not None else ())}
    for v in iface.inputs:
        if v.name not in checked:  # the interface's own default, made by the SDK
            continue
        problem = literal_problem(values[v.name], v.type)
        if problem:
            raise InputError(
                f"{what}: input {v.name!r} of type {type_str(v.type)}: {problem}",
                details={"input": v.name, "type": type_str(v.type), "problem": problem},
            )
    return {v.name: values[v.name] for v in iface.inputs}
