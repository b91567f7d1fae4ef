"""The console's pages (GET): projects, a project's entities, one entity's versions, interface
and graph, the launch form, executions (list and one), and the fragments that one execution's
page loads and refreshes with htmx (header, node rows, map items, node details, logs, Gantt).

Every page reads through the services the API uses (``Services``), a bounded amount whatever
the size of the execution.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import msgspec
from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from slipstream.errors import NotFoundError, SlipstreamError, ValidationError
from slipstream.model import (
    CompiledWorkflow,
    Interface,
    LaunchPlanSpec,
    Project,
    ResourceType,
    TaskTemplate,
    WorkflowSpec,
)

from .._auth import Principal
from .._clusters import known_clusters
from .._database import LATEST, MAX_LIMIT, PageRequest
from .._executions import ExecutionFilter
from .._registry import decode_spec
from .._services import Services
from ._forms import fields_of, text_of
from ._security import SecureRoute
from ._session import access
from ._views import error_page, render, services_of

__all__ = [
    "answer",
    "error_page",
    "graph_of",
    "launch_target",
    "render",
    "render_launch",
    "router",
]

router = APIRouter(include_in_schema=False, route_class=SecureRoute)
_TYPES = {
    "tasks": ResourceType.TASK,
    "workflows": ResourceType.WORKFLOW,
    "launch_plans": ResourceType.LAUNCH_PLAN,
}


def _all_projects(svc: Services, visible: frozenset[str] | None) -> list[Project]:
    """Every project (only those in ``visible``; None: all) by name, read through the project
    service a page at a time."""
    out: list[Project] = []
    cursor = None
    while True:
        page = svc.projects.list(
            PageRequest(limit=MAX_LIMIT, cursor=cursor, sort_by="name", order="asc"),
            visible=visible,
        )
        out.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            return out


async def answer(
    request: Request, method: str, api_path: str, build: Any, body: Any = None
) -> Response:
    """Check access (``body``: for rules that find their target in it), then run ``build`` in
    a thread; errors become pages."""
    who = access(request, method, api_path, body)
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
    """Projects where the caller holds a role (admins: all) and domains, with the counts of
    their recent executions by phase."""
    svc = services_of(request)
    principal = request.scope.get("state", {}).get("principal")
    visible = principal.visible_projects() if isinstance(principal, Principal) else frozenset()

    def build() -> Response:
        rows = _all_projects(svc, visible)
        counts = svc.executions.recent_counts(visible=visible)
        return render(
            request, "projects.html", projects=rows, by_phase=counts, domains=svc.config.domains
        )

    return await answer(request, "GET", "/projects", build)


@router.get("/console/projects/{project}/{domain}")
async def project(request: Request, project: str, domain: str) -> Response:
    """A project's workflows, tasks and launch plans, with their schedules."""
    svc = services_of(request)

    def build() -> Response:
        info = svc.projects.get(project)
        entities = svc.registry.names(project, domain)
        schedules = svc.schedules.list(project, domain)
        active = {s.name: s.version for s in schedules if s.active}
        for e in entities:
            e["active"] = active.get(e["name"]) if e["type"] == "launch_plan" else None
        return render(
            request,
            "project.html",
            project=info,
            domain=domain,
            domains=svc.config.domains,
            entities=entities,
            schedules=schedules,
        )

    return await answer(request, "GET", f"/projects/{project}/domains/{domain}", build)


_NODE_PAGES = {"task": "tasks", "launchplan": "launch_plans"}


def graph_of(wf: WorkflowSpec, entities: str = "") -> dict[str, Any]:
    """The nodes and edges of a workflow, for the graph layout in the browser; with
    ``entities`` (a project's page, ``/console/projects/P/D``) each node that runs a registered
    task, workflow or launch plan links to its page."""
    nodes = []
    for n in wf.nodes:
        kind = type(n.kind).__name__.removesuffix("Node").lower()
        target = getattr(n.kind, "task", None) or getattr(n.kind, "workflow", None) or ""
        target = target or getattr(n.kind, "name", "") or getattr(n.kind, "gate", "")
        label = n.overrides.name if getattr(n.overrides, "name", None) else target.split(".")[-1]
        node = {"id": n.id, "label": label or n.id, "kind": kind}
        lp = getattr(n.kind, "launch_plan", None)
        page = lp.name if lp is not None else target
        if entities and kind in _NODE_PAGES and isinstance(page, str) and page:
            node["href"] = f"{entities}/{_NODE_PAGES[kind]}/{quote(page, safe='')}"
        nodes.append(node)
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
        ticks: tuple[Any, ...] = ()
        if isinstance(spec, LaunchPlanSpec):
            try:
                schedule = svc.schedules.get(project, domain, name)
            except NotFoundError:
                schedule = None
            from .._database import PageRequest

            ticks = svc.schedules.ticks(project, domain, name, PageRequest(limit=20)).items
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
            graph=msgspec.json.encode(
                graph_of(workflow, f"/console/projects/{project}/{domain}")
            ).decode()
            if workflow
            else None,
            versions=services_of(request).registry.versions(rt.value, project, domain, name),
            schedule=schedule,
            ticks=ticks,
        )

    return await answer(request, "GET", f"/{kind}/{project}/{domain}/{name}", build)


@router.get("/console/projects/{project}/{domain}/launch_plans/{name}/launch")
async def launch_form(request: Request, project: str, domain: str, name: str) -> Response:
    """The form that launches a launch plan, generated from its typed interface; with
    ``?from=EXECUTION`` (the Relaunch button) its fields hold that execution's inputs."""
    svc = services_of(request)
    version = request.query_params.get("version") or LATEST
    source = request.query_params.get("from", "")

    def build() -> Response:
        lp, interface = launch_target(svc, project, domain, name, version)
        values: dict[str, str] = {}
        labels = ""
        if source:
            old = svc.data.inputs(project, domain, source)
            _, record = services_of(request).executions.find(project, domain, source)
            values = {
                f.name: text_of(old.values[f.name], f.type)
                for f in fields_of(interface, lp)
                if f.name in old.values
            }
            labels = ", ".join(f"{k}={v}" for k, v in sorted(record.spec.labels.items()))
        return render_launch(request, lp, interface, {}, values, labels=labels, source=source)

    target = {"target": {"project": project, "domain": domain}}
    return await answer(request, "POST", "/executions", build, target)


def render_launch(
    request: Request,
    lp: LaunchPlanSpec,
    interface: Interface,
    errors: dict[str, str],
    values: Mapping[str, str],
    *,
    labels: str = "",
    source: str = "",
    cluster: str = "",
    status: int = 200,
) -> Response:
    """The launch form of ``lp``: its fields (``values`` typed or prefilled, ``errors`` next to
    their fields), the versions to choose from, the execution's labels and the clusters it may
    be sent to alone (default: the route of its settings)."""
    with services_of(request).db.session() as session:
        clusters = sorted(known_clusters(session))
    i = lp.id
    return render(
        request,
        "launch.html",
        status,
        project=i.project,
        domain=i.domain,
        name=i.name,
        version=i.version,
        versions=[
            v["version"]
            for v in services_of(request).registry.versions(
                ResourceType.LAUNCH_PLAN.value, i.project, i.domain, i.name
            )
        ],
        fields=fields_of(interface, lp),
        fixed=lp.fixed_inputs,
        fixed_types={v.name: v.type for v in interface.inputs},
        errors=errors,
        values=values,
        labels=labels,
        source=source,
        cluster=cluster,
        clusters=clusters,
    )


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
        limit = q.get("limit", "50")
        if not limit.isdigit() or not 1 <= int(limit) <= 200:
            raise ValidationError(f"limit must be between 1 and 200, got {limit!r}")
        rows, more = svc.executions.filtered(
            project, domain, filters, before=int(before) if before else None, limit=int(limit)
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

    return await answer(request, "GET", f"/executions/{project}/{domain}", build)


@router.get("/console/notifications/{project}/{domain}")
async def notifications(request: Request, project: str, domain: str) -> Response:
    """Notifications of ended executions; failed deliveries with their last error."""
    svc = services_of(request)
    state = request.query_params.get("state") or None

    def build() -> Response:
        from .._database import PageRequest

        page = svc.notifications.list(project, domain, PageRequest(limit=200), state=state)
        return render(
            request,
            "notifications.html",
            project=project,
            domain=domain,
            rows=page.items,
            state=state or "",
        )

    return await answer(request, "GET", f"/notifications/{project}/{domain}", build)
