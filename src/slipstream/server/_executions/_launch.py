"""Starting executions: create (from a launch plan, a workflow's default launch plan, or a task),
relaunch and recover.

Each is routed (:mod:`._clusters`): the cluster asked for this execution alone, else the
``execution_cluster`` of the settings of its launch plan, its workflow, its project+domain or
its project, else the default cluster. A route naming an unknown cluster, or a task asking for
more than any host of the route has, is refused here; the row keeps the route (for failover) and
the cluster it starts on.

Everything is checked before anything is stored: the caller is a launcher of the target's
project and domain, the target exists, the inputs are exactly the interface's (none missing, none
unknown, none fixed by the launch plan), every literal has its input's type (the one validator,
``literal_problem``), and the inputs are data the caller may pass (:mod:`._input_policy`). A
relaunch or a recovery checks its source's inputs again, as the caller's. A new execution is stored
QUEUED with one ``created`` event; the engine host picks it up from there.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from slipstream.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from slipstream.model import (
    CompiledWorkflow,
    ExecutionCreate,
    ExecutionId,
    ExecutionPhase,
    ExecutionRecord,
    ExecutionSpec,
    Identifier,
    Interface,
    LaunchPlanSpec,
    RelaunchRequest,
    ResourceType,
    Role,
    TaskTemplate,
)

from .._auth import ANONYMOUS, Principal
from .._clusters import (
    DEFAULT_CLUSTER,
    Placement,
    check_cluster,
    check_resources,
    join_route,
    parse_route,
    place,
)
from .._database import (
    LATEST,
    Database,
    ExecutionRow,
    check_domain,
    check_name,
    check_project,
    check_version,
)
from .._projects import ProjectService
from .._registry import Registry, decode_spec
from ._input_policy import InputPolicy
from ._launch_inputs import Resolved, check_literals, resolve_inputs
from ._rows import add_event, decode_record, find_row, record_row

__all__ = ["SYSTEM_PREFIX", "LaunchService", "check_actor", "check_labels", "child_name"]

_RECOVERABLE = frozenset({ExecutionPhase.FAILED, ExecutionPhase.ABORTED, ExecutionPhase.TIMED_OUT})
_MAX_LABELS = 64
_NAME_ATTEMPTS = 4


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


SYSTEM_PREFIX = "_"
"""The first character of the names the server gives executions it starts itself (schedule
ticks, launch plan children), which a user-given name cannot take, so nobody pre-creates them."""


def child_name(parent: ExecutionId, node: str, attempt: int = 0) -> str:
    """The name of the child execution a launch plan node starts: stable, so that a resumed
    parent finds the child it already started (``attempt`` > 0: the next name to try when one
    is taken by an execution this node did not start)."""
    import hashlib

    key = f"{parent.project}/{parent.domain}/{parent.name}/{node}"
    digest = hashlib.sha256(f"{key}#{attempt}".encode() if attempt else key.encode())
    return f"{SYSTEM_PREFIX}{parent.name[:40]}-c{digest.hexdigest()[:12]}"


def new_name() -> str:
    """A generated execution name: a letter and 19 random hex digits (unique in practice; the
    table's unique constraint makes sure)."""
    return "e" + secrets.token_hex(10)[:19]


class LaunchService:
    """Creates executions; see the module docstring."""

    def __init__(
        self, db: Database, projects: ProjectService, registry: Registry, inputs: InputPolicy
    ) -> None:
        self.db = db
        self.projects = projects
        self.registry = registry
        self.inputs = inputs

    # -- create -------------------------------------------------------------------------------

    def create(self, request: ExecutionCreate, caller: Principal) -> ExecutionRecord:
        """Validate and store a new QUEUED execution of ``request.target``, launched by
        ``caller`` (who must be a launcher there; the body's ``launched_by`` is not trusted)."""
        return self._create(request, caller.name, caller)

    def _create(
        self,
        request: ExecutionCreate,
        actor: str,
        caller: Principal | None,
        parent: tuple[ExecutionId, str] | None = None,
    ) -> ExecutionRecord:
        """``caller=None``: the server itself starts a child execution whose inputs its engine
        made; ``parent`` (execution, node path) links it to the launch plan node that started it.
        """
        actor = check_actor(actor, "launched_by")
        target = request.target
        check_project(target.project)
        check_domain(target.domain, self.projects.domains)
        if caller is not None:
            _require_launcher(caller, target.project, target.domain)
        check_name(target.name)
        if target.version and target.version != LATEST:
            check_version(target.version)
        if request.name:
            _check_execution_name(request.name, _is_system(caller))
        if request.max_parallelism is not None and request.max_parallelism < 1:
            raise ValidationError(
                f"max_parallelism must be at least 1, got {request.max_parallelism}"
            )
        check_labels(request.labels, "labels")
        check_labels(request.annotations, "annotations")
        if request.cluster:
            check_cluster(request.cluster)
        with self.db.session() as session:
            self.projects.require(session, target.project, active=True)
            resolved = self._resolve(session, target)
            inputs = resolve_inputs(resolved, request.inputs)
            placement = self._route(
                session,
                target.project,
                target.domain,
                resolved,
                request.cluster,
                parent=parent[0] if parent is not None else None,
            )
            if caller is not None:
                self.inputs.check(
                    session,
                    target.project,
                    target.domain,
                    resolved.interface.inputs,
                    inputs,
                    request.inputs.keys(),
                    caller,
                )
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
            cluster=request.cluster,
        )
        return self._insert(target.project, target.domain, request.name, spec, actor, placement)

    def create_child(
        self,
        parent: ExecutionId,
        node: str,
        launch_plan: Identifier,
        inputs: dict[str, Any],
        launched_by: str = "",
    ) -> ExecutionRecord:
        """The child execution of ``parent``'s launch plan node ``node``, launched as
        ``launched_by`` (the user who launched the parent): created on the first call, found on
        later ones by its name, and adopted only if its record names this parent and node."""
        actor = launched_by or f"execution {parent.name}"
        for attempt in range(_NAME_ATTEMPTS):
            name = child_name(parent, node, attempt)
            request = ExecutionCreate(target=launch_plan, inputs=inputs, name=name)
            try:
                return self._create(request, actor, None, (parent, node))
            except ConflictError:
                with self.db.session() as session:
                    row = find_row(
                        session,
                        launch_plan.project,
                        launch_plan.domain,
                        name,
                        self.projects.domains,
                    )
                    record = decode_record(row)
                if record.spec.parent_execution == parent and record.spec.parent_node == node:
                    return record
        raise ConflictError(
            f"the names of the child execution of {parent.name} node {node} are all taken by "
            "executions it did not start",
            details={"execution": parent.name, "node": node},
        )

    def _resolve(self, session: Session, target: Identifier) -> Resolved:
        version = target.version or LATEST
        rt = target.resource_type

        def fetch(kind: ResourceType, name: str, ver: str) -> Any:
            row = self.registry.get_row(session, kind, target.project, target.domain, name, ver)
            return decode_spec(row)

        if rt is ResourceType.TASK:
            task: TaskTemplate = fetch(rt, target.name, version)
            return Resolved(task.id, task.interface, None, f"task {task.id}", (task,))
        if rt is ResourceType.LAUNCH_PLAN:
            lp: LaunchPlanSpec = fetch(rt, target.name, version)
            wf: CompiledWorkflow = fetch(
                ResourceType.WORKFLOW, lp.workflow.name, lp.workflow.version
            )
            return Resolved(
                wf.workflow.id,
                wf.workflow.interface,
                lp,
                f"launch plan {lp.id}",
                tuple(wf.tasks.values()),
            )
        wf = fetch(ResourceType.WORKFLOW, target.name, version)
        wid = wf.workflow.id
        tasks = tuple(wf.tasks.values())
        try:
            lp = fetch(ResourceType.LAUNCH_PLAN, wid.name, wid.version)
        except NotFoundError:  # registered without its default launch plan
            return Resolved(wid, wf.workflow.interface, None, f"workflow {wid}", tasks)
        if lp.workflow != wid:
            return Resolved(wid, wf.workflow.interface, None, f"workflow {wid}", tasks)
        return Resolved(wid, wf.workflow.interface, lp, f"workflow {wid}", tasks)

    def _route(
        self,
        session: Session,
        project: str,
        domain: str,
        resolved: Resolved,
        asked: str,
        launch_plan: Identifier | None = None,
        parent: ExecutionId | None = None,
    ) -> Placement:
        """Where an execution of ``resolved`` (launched through ``launch_plan``, default: the
        one it resolved to) goes; see the module docstring. A child execution whose settings
        route it nowhere follows its ``parent``: the cluster the parent runs on, then the rest of
        the parent's route."""
        plan = launch_plan or (resolved.launch_plan.id if resolved.launch_plan else None)
        if asked:
            route: tuple[str, ...] = (asked,)
        else:
            targets = []
            if resolved.target.resource_type is ResourceType.WORKFLOW:
                targets.append(f"workflow:{resolved.target.name}")
            if plan is not None:
                targets.append(f"launch_plan:{plan.name}")
            settings = self.registry.settings.targeted(session, project, domain, tuple(targets))
            route = settings.execution_cluster or _parent_route(session, parent)
        placement = place(session, route)
        check_resources(session, placement.route, resolved.tasks)
        return placement

    # -- relaunch and recover -----------------------------------------------------------------

    def relaunch(
        self, project: str, domain: str, name: str, request: RelaunchRequest, caller: Principal
    ) -> ExecutionRecord:
        """A new execution of the same target with the same inputs."""
        return self._again(project, domain, name, request, caller, "relaunch")

    def recover(
        self, project: str, domain: str, name: str, request: RelaunchRequest, caller: Principal
    ) -> ExecutionRecord:
        """A new execution that reuses what succeeded in a failed, aborted or timed-out one (the
        engine host copies the source's succeeded nodes)."""
        return self._again(project, domain, name, request, caller, "recover")

    def _again(
        self,
        project: str,
        domain: str,
        name: str,
        request: RelaunchRequest,
        caller: Principal,
        mode: str,
    ) -> ExecutionRecord:
        """The source's inputs run again as ``caller``'s own: checked against the interface and
        the input policy as if given now (a value stored before a rule existed cannot pass it),
        except that a value its launch plan or interface stored is the registrant's, not the
        caller's (a launcher may relaunch a plan whose own default is a pickle)."""
        actor = check_actor(caller.name, "launched_by")
        if request.name:
            _check_execution_name(request.name)
        check_domain(domain, self.projects.domains)
        _require_launcher(caller, project, domain)
        with self.db.session() as session:
            self.projects.require(session, project, active=True)
            source = decode_record(find_row(session, project, domain, name, self.projects.domains))
            resolved = self._resolve(session, source.spec.target)
            iface = resolved.interface
            placement = self._route(
                session, project, domain, resolved, source.spec.cluster, source.spec.launch_plan
            )
            inputs = source.spec.inputs
            check_literals(iface, inputs, f"execution {source.id}")
            stored = self._stored_values(session, source.spec.launch_plan, iface)
            given = {k for k, v in inputs.items() if k not in stored or stored[k] != v}
            self.inputs.check(session, project, domain, iface.inputs, inputs, given, caller)
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
        return self._insert(project, domain, request.name, spec, actor, placement)

    def _stored_values(
        self, session: Session, plan: Identifier | None, iface: Interface
    ) -> dict[str, Any]:
        """The input values a registrant stored: the interface's defaults and the launch plan's
        defaults and fixed inputs."""
        values = {v.name: v.default for v in iface.inputs if v.has_default}
        if plan is not None:
            row = self.registry.get_row(
                session,
                ResourceType.LAUNCH_PLAN,
                plan.project,
                plan.domain,
                plan.name,
                plan.version,
            )
            lp = decode_spec(row)
            if isinstance(lp, LaunchPlanSpec):
                values.update(lp.default_inputs)
                values.update(lp.fixed_inputs)
        return values

    # -- storing ------------------------------------------------------------------------------

    def _insert(
        self,
        project: str,
        domain: str,
        name: str,
        spec: ExecutionSpec,
        actor: str,
        placement: Placement,
    ) -> ExecutionRecord:
        for _ in range(3):
            now = time.time()
            record = ExecutionRecord(
                id=ExecutionId(project, domain, name or new_name()),
                spec=spec,
                phase=ExecutionPhase.QUEUED,
                created_at=now,
                cluster=placement.cluster,
            )
            try:
                with self.db.session() as session:
                    row = record_row(record, now)
                    row.cluster, row.route = placement.cluster, join_route(placement.route)
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


def _require_launcher(caller: Principal, project: str, domain: str) -> None:
    """Roles are checked where the data is used: a launch needs launcher on its own target."""
    if not caller.allows(Role.LAUNCHER, project, domain):
        held = caller.role_on(project, domain)
        raise PermissionDeniedError(
            f"launching in {project}/{domain} needs the launcher role there; "
            f"{caller.name} has {held.value if held is not None else 'no role'}",
            details={"role": Role.LAUNCHER.value, "project": project, "domain": domain},
        )


def _check_execution_name(name: str, system: bool = False) -> None:
    """Execution names: letters, digits, ``_ . -``, starting with a letter or digit, at most 64;
    only the server's own (``system``) start with :data:`SYSTEM_PREFIX`."""
    check_name(name)
    if len(name) > 64:
        raise ValidationError(
            f"invalid execution name {name[:70]!r}: at most 64 characters",
            details={"field": "name", "value": name},
        )
    if name.startswith(SYSTEM_PREFIX) and not system:
        raise ValidationError(
            f"invalid execution name {name!r}: names starting with {SYSTEM_PREFIX!r} are those "
            "the server gives the executions it starts (schedule ticks, launch plan children)",
            details={"field": "name", "value": name},
        )


def _is_system(caller: Principal | None) -> bool:
    """Whether the server itself launches: a child (no caller) or a principal that no token
    made (a schedule's)."""
    return caller is None or (not caller.token_id and caller is not ANONYMOUS)


def _parent_route(session: Session, parent: ExecutionId | None) -> tuple[str, ...]:
    """The route a child with no route of its own takes: where its parent runs, then the rest of
    the parent's route (the default cluster for an execution that is no child)."""
    if parent is None:
        return (DEFAULT_CLUSTER,)
    row = session.execute(
        select(ExecutionRow.cluster, ExecutionRow.route).where(
            ExecutionRow.project == parent.project,
            ExecutionRow.domain == parent.domain,
            ExecutionRow.name == parent.name,
        )
    ).first()
    if row is None:
        return (DEFAULT_CLUSTER,)
    cluster, route = row
    return (cluster, *(c for c in parse_route(route, cluster) if c != cluster))
