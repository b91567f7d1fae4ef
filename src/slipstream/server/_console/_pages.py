"""The console's pages (GET): projects, a project's entities, one entity's versions, interface
and graph, the launch form, executions (list and one), and the fragments that one execution's
page loads and refreshes with htmx (header, node rows, map items, node details, logs, Gantt).

Every page reads through :class:`._queries.ConsoleQueries` or the services, a bounded amount
whatever the size of the execution.
"""

from __future__ import annotations

import time
from typing import Any

import msgspec
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from slipstream.errors import NotFoundError, SlipstreamError, ValidationError
from slipstream.model import (
    CompiledWorkflow,
    ExecutionRecord,
    LaunchPlanSpec,
    ResourceType,
    TaskTemplate,
    WorkflowSpec,
)

from .._api._errors import STATUS_BY_CODE
from .._names import LATEST
from .._registry import decode_spec
from ._forms import fields_of
from ._queries import ConsoleQueries, ExecutionFilter
from ._render import environment
from ._session import access, services_of

__all__ = ["error_page", "render", "router"]

router = APIRouter(include_in_schema=False)
_env = environment()
_TYPES = {
    "tasks": ResourceType.TASK,
    "workflows": ResourceType.WORKFLOW,
    "launch_plans": ResourceType.LAUNCH_PLAN,
}


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A template rendered with the caller and the request."""
    svc = services_of(request)
    principal = request.scope.get("state", {}).get("principal")
    html = _env.get_template(template).render(
        request=request,
        user=getattr(principal, "name", ""),
        auth=svc.config.auth,
        now=time.time(),
        **context,
    )
    return HTMLResponse(html, status_code=status)


def error_page(request: Request, error: SlipstreamError) -> HTMLResponse:
    """An error as a page (a fragment for htmx requests), with the API's status code."""
    status = STATUS_BY_CODE.get(error.code, 400 if error.kind == "USER" else 500)
    template = "error_fragment.html" if request.headers.get("hx-request") else "error.html"
    return render(request, template, status, error=error)


def _queries(request: Request) -> ConsoleQueries:
    svc = services_of(request)
    found: ConsoleQueries | None = getattr(request.app.state, "console_queries", None)
    if found is None:
        found = request.app.state.console_queries = ConsoleQueries(svc.db)
    return found


async def _page(request: Request, method: str, api_path: str, build: Any) -> Response:
    """Check access, then run ``build(principal)`` in a thread; errors become pages."""
    who = access(request, method, api_path)
    if isinstance(who, Response):
        return who
    try:
        result: Response = await run_in_threadpool(build)
        return result
    except SlipstreamError as e:
        return error_page(request, e)


# -- projects ---------------------------------------------------------------------------------


@router.get("/console")
def home() -> Response:
    """The console's front page is the list of projects."""
    return RedirectResponse("/console/projects", status_code=303)


@router.get("/console/projects")
async def projects(request: Request) -> Response:
    """Projects and domains with the counts of their recent executions by phase."""
    svc = services_of(request)

    def build() -> Response:
        rows, counts = _queries(request).project_counts()
        return render(
            request, "projects.html", projects=rows, by_phase=counts, domains=svc.config.domains
        )

    return await _page(request, "GET", "/projects", build)


@router.get("/console/projects/{project}/{domain}")
async def project(request: Request, project: str, domain: str) -> Response:
    """A project's workflows, tasks and launch plans, with their schedules."""
    svc = services_of(request)

    def build() -> Response:
        info = svc.projects.get(project)
        entities = _queries(request).entities(project, domain)
        schedules = svc.schedules.list(project, domain)
        return render(
            request,
            "project.html",
            project=info,
            domain=domain,
            domains=svc.config.domains,
            entities=entities,
            schedules=schedules,
        )

    return await _page(request, "GET", f"/projects/{project}/domains/{domain}", build)


def _graph(wf: WorkflowSpec) -> dict[str, Any]:
    """The nodes and edges of a workflow, for the graph layout in the browser."""
    nodes = []
    for n in wf.nodes:
        kind = type(n.kind).__name__.removesuffix("Node").lower()
        target = getattr(n.kind, "task", None) or getattr(n.kind, "workflow", None) or ""
        target = target or getattr(n.kind, "name", "") or getattr(n.kind, "gate", "")
        label = n.overrides.name if getattr(n.overrides, "name", None) else target.split(".")[-1]
        nodes.append({"id": n.id, "label": label or n.id, "kind": kind})
    ids = {n.id for n in wf.nodes}
    edges = [[u, n.id] for n in wf.nodes for u in n.upstream if u in ids]
    return {"nodes": nodes, "edges": edges}


@router.get("/console/projects/{project}/{domain}/{kind}/{name}")
async def entity(request: Request, project: str, domain: str, kind: str, name: str) -> Response:
    """One task, workflow or launch plan: its versions, typed interface and graph."""
    svc = services_of(request)
    version = request.query_params.get("version") or LATEST

    def build() -> Response:
        rt = _TYPES.get(kind)
        if rt is None:
            raise NotFoundError(f"no such kind of entity {kind!r}: tasks, workflows, launch_plans")
        with svc.db.session() as session:
            row = svc.registry.get_row(session, rt, project, domain, name, version)
            spec = decode_spec(row)
            workflow: WorkflowSpec | None = None
            if isinstance(spec, CompiledWorkflow):
                workflow = spec.workflow
            elif isinstance(spec, LaunchPlanSpec):
                wrow = svc.registry.get_row(
                    session,
                    ResourceType.WORKFLOW,
                    project,
                    domain,
                    spec.workflow.name,
                    spec.workflow.version,
                )
                wspec = decode_spec(wrow)
                assert isinstance(wspec, CompiledWorkflow)
                workflow = wspec.workflow
        interface = (
            spec.interface
            if isinstance(spec, TaskTemplate)
            else workflow.interface
            if workflow
            else None
        )
        schedule = None
        if isinstance(spec, LaunchPlanSpec):
            try:
                schedule = svc.schedules.get(project, domain, name)
            except NotFoundError:
                schedule = None
        return render(
            request,
            "entity.html",
            project=project,
            domain=domain,
            kind=kind,
            name=name,
            version=row.version,
            spec=spec,
            interface=interface,
            launch_plan=spec if isinstance(spec, LaunchPlanSpec) else None,
            graph=msgspec.json.encode(_graph(workflow)).decode() if workflow else None,
            versions=_queries(request).versions(rt.value, project, domain, name),
            schedule=schedule,
        )

    return await _page(request, "GET", f"/{kind}/{project}/{domain}/{name}", build)


@router.get("/console/projects/{project}/{domain}/launch_plans/{name}/launch")
async def launch_form(request: Request, project: str, domain: str, name: str) -> Response:
    """The form that launches a launch plan, generated from its typed interface."""
    svc = services_of(request)
    version = request.query_params.get("version") or LATEST

    def build() -> Response:
        lp, interface = launch_target(svc, project, domain, name, version)
        return render(
            request,
            "launch.html",
            project=project,
            domain=domain,
            name=name,
            version=lp.id.version,
            fields=fields_of(interface, lp),
            fixed=lp.fixed_inputs,
            errors={},
            values={},
        )

    return await _page(request, "POST", "/executions", build)


def launch_target(svc: Any, project: str, domain: str, name: str, version: str) -> Any:
    """A launch plan's spec and its workflow's interface."""
    with svc.db.session() as session:
        row = svc.registry.get_row(
            session, ResourceType.LAUNCH_PLAN, project, domain, name, version
        )
        lp = decode_spec(row)
        assert isinstance(lp, LaunchPlanSpec)
        wrow = svc.registry.get_row(
            session, ResourceType.WORKFLOW, project, domain, lp.workflow.name, lp.workflow.version
        )
        wf = decode_spec(wrow)
        assert isinstance(wf, CompiledWorkflow)
    return lp, wf.workflow.interface


# -- executions -------------------------------------------------------------------------------


def _epoch(text: str, field: str) -> float | None:
    if not text:
        return None
    import datetime as dt

    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            f"{field} must be a time such as 2026-01-31T12:00, got {text!r}"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.timestamp()


@router.get("/console/executions/{project}/{domain}")
async def executions(request: Request, project: str, domain: str) -> Response:
    """Executions of a project and domain, newest first, filtered and paged on the server."""
    svc = services_of(request)
    q = request.query_params

    def build() -> Response:
        svc.projects.get(project)
        filters = ExecutionFilter(
            phase=q.get("phase", "").upper(),
            workflow=q.get("workflow", ""),
            launch_plan=q.get("launch_plan", ""),
            launched_by=q.get("launched_by", ""),
            label=q.get("label", ""),
            since=_epoch(q.get("since", ""), "since"),
            until=_epoch(q.get("until", ""), "until"),
        )
        before = q.get("before")
        if before is not None and not before.isdigit():
            raise ValidationError(f"before must be a number, got {before!r}")
        rows, more = _queries(request).executions(
            project, domain, filters, before=int(before) if before else None
        )
        args = {k: v for k, v in q.items() if k != "before" and v}
        return render(
            request,
            "executions.html",
            project=project,
            domain=domain,
            domains=svc.config.domains,
            rows=[r for _, r in rows],
            more=more,
            args=args,
            filters=filters,
            phases=[
                p
                for p in (
                    "QUEUED",
                    "RUNNING",
                    "SUCCEEDED",
                    "FAILED",
                    "ABORTING",
                    "ABORTED",
                    "TIMED_OUT",
                )
            ],
        )

    return await _page(request, "GET", f"/executions/{project}/{domain}", build)


def _base(project: str, domain: str, name: str) -> str:
    return f"/executions/{project}/{domain}/{name}"


def _workflow_of(svc: Any, record: ExecutionRecord) -> WorkflowSpec | None:
    t = record.spec.target
    if t.resource_type is not ResourceType.WORKFLOW:
        return None
    try:
        with svc.db.session() as session:
            row = svc.registry.get_row(
                session, ResourceType.WORKFLOW, t.project, t.domain, t.name, t.version
            )
            spec = decode_spec(row)
    except NotFoundError:
        return None
    return spec.workflow if isinstance(spec, CompiledWorkflow) else None


@router.get("/console/executions/{project}/{domain}/{name}")
async def execution(request: Request, project: str, domain: str, name: str) -> Response:
    """One execution: header, inputs and outputs, graph, node list, Gantt chart, actions."""
    svc = services_of(request)

    def build() -> Response:
        _, record = _queries(request).execution(project, domain, name)
        inputs = svc.data.inputs(project, domain, name)
        outputs = None
        if record.phase.value == "SUCCEEDED":
            try:
                outputs = svc.data.outputs(project, domain, name)
            except SlipstreamError:
                outputs = None
        wf = _workflow_of(svc, record)
        signals = [s for s in svc.control.signals(project, domain, name) if not s.sent]
        notifications = svc.notifications.of_execution(project, domain, name)
        return render(
            request,
            "execution.html",
            project=project,
            domain=domain,
            name=name,
            record=record,
            inputs=inputs,
            outputs=outputs,
            graph=msgspec.json.encode(_graph(wf)).decode() if wf else None,
            signals=signals,
            notifications=notifications,
            store_url=svc.config.store_url,
            terminal=record.phase.terminal,
        )

    return await _page(request, "GET", _base(project, domain, name), build)


@router.get("/console/executions/{project}/{domain}/{name}/header")
async def header(request: Request, project: str, domain: str, name: str) -> Response:
    """The execution's phase and duration (refreshed while it runs)."""

    def build() -> Response:
        _, record = _queries(request).execution(project, domain, name)
        return render(
            request,
            "exec_header.html",
            record=record,
            project=project,
            domain=domain,
            name=name,
            terminal=record.phase.terminal,
        )

    return await _page(request, "GET", _base(project, domain, name), build)


@router.get("/console/executions/{project}/{domain}/{name}/phases")
async def phases(request: Request, project: str, domain: str, name: str) -> Response:
    """The phase of the execution and of each top-level node, as JSON, for the graph."""

    def build() -> Response:
        qs = _queries(request)
        pk, record = qs.execution(project, domain, name)
        body = {
            "phase": record.phase.value,
            "terminal": record.phase.terminal,
            "nodes": qs.top_phases(pk),
        }
        return Response(msgspec.json.encode(body), media_type="application/json")

    return await _page(request, "GET", _base(project, domain, name), build)


def _int(value: str | None, field: str) -> int:
    if not value:
        return 0
    if not value.isdigit():
        raise ValidationError(f"{field} must be a number, got {value!r}")
    return int(value)


@router.get("/console/executions/{project}/{domain}/{name}/nodes")
async def nodes(request: Request, project: str, domain: str, name: str) -> Response:
    """A page of node rows: top-level nodes, or the children of ``parent``."""
    q = request.query_params

    def build() -> Response:
        qs = _queries(request)
        pk, _ = qs.execution(project, domain, name)
        parent = q.get("parent", "")
        rows, more = qs.children(pk, parent, after=_int(q.get("after"), "after"))
        return render(
            request,
            "nodes.html",
            rows=rows,
            more=more,
            parent=parent,
            project=project,
            domain=domain,
            name=name,
            depth=_int(q.get("depth"), "depth"),
        )

    return await _page(request, "GET", _base(project, domain, name), build)


@router.get("/console/executions/{project}/{domain}/{name}/map")
async def map_items(request: Request, project: str, domain: str, name: str) -> Response:
    """A map node's items counted by phase, and a page of the items of one phase."""
    q = request.query_params

    def build() -> Response:
        qs = _queries(request)
        pk, _ = qs.execution(project, domain, name)
        node = q.get("node", "")
        if not node:
            raise ValidationError("which map node? (?node=n2)")
        phase = q.get("phase", "")
        counts = qs.item_counts(pk, node)
        items, more = qs.items(pk, node, phase=phase, after=_int(q.get("after"), "after"))
        return render(
            request,
            "map.html",
            node=node,
            counts=counts,
            items=items,
            more=more,
            phase=phase,
            project=project,
            domain=domain,
            name=name,
            total=sum(counts.values()),
        )

    return await _page(request, "GET", _base(project, domain, name), build)


@router.get("/console/executions/{project}/{domain}/{name}/node")
async def node(request: Request, project: str, domain: str, name: str) -> Response:
    """One node: inputs, outputs, cache status, attempts, error with traceback, logs."""
    svc = services_of(request)
    path = request.query_params.get("path", "")

    def build() -> Response:
        qs = _queries(request)
        pk, _ = qs.execution(project, domain, name)
        rec = qs.node(pk, path)
        if rec is None:
            raise NotFoundError(f"execution {project}/{domain}/{name} has no node {path!r}")
        attempts = qs.attempts(pk, path)
        return render(
            request,
            "node.html",
            node=rec,
            attempts=attempts,
            project=project,
            domain=domain,
            name=name,
            store_url=svc.config.store_url,
        )

    return await _page(request, "GET", _base(project, domain, name), build)


@router.get("/console/executions/{project}/{domain}/{name}/log")
async def log(request: Request, project: str, domain: str, name: str) -> Response:
    """The tail of an attempt's log; refreshed every second until the attempt ended."""
    svc = services_of(request)
    q = request.query_params

    def build() -> Response:
        path = q.get("path", "")
        attempt = _int(q.get("attempt"), "attempt") or None
        first = svc.data.log(project, domain, name, path, attempt, 0, 1)
        start = max(0, first.size - 64 * 1024)
        chunk = svc.data.log(project, domain, name, path, attempt, start, 64 * 1024)
        return render(
            request,
            "log.html",
            chunk=chunk,
            clipped=start > 0,
            path=path,
            attempt=attempt,
            project=project,
            domain=domain,
            name=name,
        )

    return await _page(request, "GET", _base(project, domain, name), build)


@router.get("/console/executions/{project}/{domain}/{name}/gantt")
async def gantt(request: Request, project: str, domain: str, name: str) -> Response:
    """The attempts on a time line (a window of 200 at a time)."""
    q = request.query_params

    def build() -> Response:
        qs = _queries(request)
        pk, record = qs.execution(project, domain, name)
        attempts, total, more = qs.gantt(pk, after=_int(q.get("after"), "after"))
        starts = [a.started_at for a in attempts if a.started_at is not None]
        t0 = min(starts) if starts else (record.started_at or record.created_at)
        ends = [a.ended_at or time.time() for a in attempts if a.started_at is not None]
        t1 = max(ends) if ends else t0 + 1
        return render(
            request,
            "gantt.html",
            attempts=attempts,
            total=total,
            more=more,
            t0=t0,
            span=max(t1 - t0, 1e-3),
            project=project,
            domain=domain,
            name=name,
        )

    return await _page(request, "GET", _base(project, domain, name), build)


@router.get("/console/notifications/{project}/{domain}")
async def notifications(request: Request, project: str, domain: str) -> Response:
    """Notifications of ended executions; failed deliveries with their last error."""
    svc = services_of(request)
    state = request.query_params.get("state") or None

    def build() -> Response:
        from .._pagination import PageRequest

        page = svc.notifications.list(project, domain, PageRequest(limit=200), state=state)
        return render(
            request,
            "notifications.html",
            project=project,
            domain=domain,
            rows=page.items,
            state=state or "",
        )

    return await _page(request, "GET", f"/notifications/{project}/{domain}", build)
