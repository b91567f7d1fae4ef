"""One execution's page and the fragments it loads and refreshes with htmx: its header, the
graph's phases, node rows (children on demand), a map's items by phase, one node's details, an
attempt's log, the Gantt chart of attempts. Each reads a bounded amount, whatever the size of
the execution."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import msgspec
from fastapi import APIRouter, Request, Response

from slipstream.errors import NotFoundError, SlipstreamError, ValidationError
from slipstream.model import (
    CompiledWorkflow,
    ExecutionRecord,
    LiteralType,
    NodeRecord,
    ResourceType,
    WorkflowSpec,
)

from .._executions import ExecutionService
from .._registry import decode_spec
from ._pages import answer, graph_of
from ._render import owned_prefixes
from ._security import SecureRoute
from ._views import render, services_of

__all__ = ["router"]

router = APIRouter(include_in_schema=False, route_class=SecureRoute)
_RECOVER_HOPS = 8
_MAX_PATH = 1024


def _base(project: str, domain: str, name: str) -> str:
    return f"/executions/{project}/{domain}/{name}"


def _compiled_of(svc: Any, record: ExecutionRecord) -> CompiledWorkflow | None:
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
    return spec if isinstance(spec, CompiledWorkflow) else None


def _workflow_of(svc: Any, record: ExecutionRecord) -> WorkflowSpec | None:
    compiled = _compiled_of(svc, record)
    return compiled.workflow if compiled is not None else None


def _closure(request: Request, record: ExecutionRecord) -> CompiledWorkflow | None:
    """The registered closure the execution runs (its tasks' interfaces type the nodes' values),
    remembered per workflow version (registered specs never change)."""
    cache: dict[Any, CompiledWorkflow | None] | None = getattr(
        request.app.state, "console_closures", None
    )
    if cache is None:
        cache = request.app.state.console_closures = {}
    key = record.spec.target
    if key not in cache:
        if len(cache) > 200:
            cache.clear()
        cache[key] = _compiled_of(services_of(request), record)
    return cache[key]


@dataclass(frozen=True)
class NodeValues:
    """A node's inputs or outputs with the types its task declares (empty: rendered by shape)."""

    values: dict[str, Any]
    types: dict[str, LiteralType]


def _node_values(
    request: Request, record: ExecutionRecord, node: NodeRecord
) -> tuple[NodeValues | None, NodeValues | None]:
    """The node's inputs (known from its start) and outputs, typed by its task's interface."""
    closure = _closure(request, record)
    task = closure.tasks.get(node.task) if closure is not None and node.task else None
    inputs_t = {v.name: v.type for v in task.interface.inputs} if task else {}
    outputs_t = {v.name: v.type for v in task.interface.outputs} if task else {}
    inputs = None if node.inputs is None else NodeValues(node.inputs, inputs_t)
    outputs = None if node.outputs is None else NodeValues(node.outputs, outputs_t)
    return inputs, outputs


def recovered_times(
    qs: ExecutionService, record: ExecutionRecord, nodes: list[NodeRecord]
) -> dict[str, tuple[float, float | None]]:
    """The start and end of each node of a recover that took its result from an earlier
    execution (it started before this execution existed): its own run's times, found in the
    execution it ran in (following recover after recover, in the same project and domain)."""
    out: dict[str, tuple[float, float | None]] = {}
    for node in nodes:
        current, found = record, node
        for _ in range(_RECOVER_HOPS):
            src = current.spec.source_execution
            if (
                current.spec.mode != "recover"
                or src is None
                or found.started_at is None
                or found.started_at >= current.created_at
                or (src.project, src.domain) != (record.id.project, record.id.domain)
            ):
                break
            try:
                pk, current = qs.find(src.project, src.domain, src.name)
            except NotFoundError:
                break
            earlier = qs.node_record(pk, node.path)
            if earlier is None or earlier.started_at is None:
                break
            found = earlier
        if found is not node and found.started_at is not None:
            out[node.path] = (found.started_at, found.ended_at)
    return out


def _workflow_of_cached(request: Request, record: ExecutionRecord) -> WorkflowSpec | None:
    closure = _closure(request, record)
    return closure.workflow if closure is not None else None


def _node_ids(request: Request, record: ExecutionRecord) -> tuple[str, ...] | None:
    """The top-level node ids of the execution's workflow (None: not a registered workflow),
    remembered per workflow version (registered specs never change)."""
    cache: dict[Any, tuple[str, ...] | None] | None = getattr(
        request.app.state, "console_node_ids", None
    )
    if cache is None:
        cache = request.app.state.console_node_ids = {}
    key = record.spec.target
    if key not in cache:
        wf = _workflow_of(services_of(request), record)
        ids = None if wf is None else tuple(n.id for n in wf.nodes)
        if wf is not None and wf.on_failure is not None:
            ids = (*(ids or ()), wf.on_failure.id)
        if len(cache) > 1000:
            cache.clear()
        cache[key] = ids
    return cache[key]


@router.get("/console/executions/{project}/{domain}/{name}")
async def execution(request: Request, project: str, domain: str, name: str) -> Response:
    """One execution: header, inputs and outputs, graph, node list, Gantt chart, actions."""
    svc = services_of(request)

    def build() -> Response:
        _, record = services_of(request).executions.find(project, domain, name)
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
            graph=msgspec.json.encode(graph_of(wf)).decode() if wf else None,
            signals=signals,
            notifications=notifications,
            store_url=owned_prefixes(svc.config.store_url, project, domain),
            terminal=record.phase.terminal,
            selected=request.query_params.get("node", "")[:_MAX_PATH],
        )

    return await answer(request, "GET", _base(project, domain, name), build)


@router.get("/console/executions/{project}/{domain}/{name}/header")
async def header(request: Request, project: str, domain: str, name: str) -> Response:
    """The execution's phase and duration (refreshed while it runs)."""

    def build() -> Response:
        _, record = services_of(request).executions.find(project, domain, name)
        return render(
            request,
            "exec_header.html",
            record=record,
            project=project,
            domain=domain,
            name=name,
            terminal=record.phase.terminal,
        )

    return await answer(request, "GET", _base(project, domain, name), build)


@router.get("/console/executions/{project}/{domain}/{name}/phases")
async def phases(request: Request, project: str, domain: str, name: str) -> Response:
    """The phase of the execution and of each top-level node, as JSON, for the graph."""

    def build() -> Response:
        qs = services_of(request).executions
        pk, record = qs.find(project, domain, name)
        body = {
            "phase": record.phase.value,
            "terminal": record.phase.terminal,
            "nodes": qs.top_phases(pk, _node_ids(request, record)),
        }
        return Response(msgspec.json.encode(body), media_type="application/json")

    return await answer(request, "GET", _base(project, domain, name), build)


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
        qs = services_of(request).executions
        pk, record = qs.find(project, domain, name)
        parent = q.get("parent", "")
        ids = None if parent else _node_ids(request, record)
        rows, more = qs.children(pk, parent, after=_int(q.get("after"), "after"), ids=ids)
        wf = None if parent else _workflow_of_cached(request, record)
        labels = {n["id"]: n["label"] for n in graph_of(wf)["nodes"]} if wf else {}
        source = record.spec.source_execution
        return render(
            request,
            "nodes.html",
            labels=labels,
            recovered=recovered_times(qs, record, [r.record for r in rows]),
            source=source.name if source else "",
            rows=rows,
            more=more,
            parent=parent,
            project=project,
            domain=domain,
            name=name,
            depth=_int(q.get("depth"), "depth"),
        )

    return await answer(request, "GET", _base(project, domain, name), build)


@router.get("/console/executions/{project}/{domain}/{name}/map")
async def map_items(request: Request, project: str, domain: str, name: str) -> Response:
    """A map node's items counted by phase, and a page of the items of one phase."""
    q = request.query_params

    def build() -> Response:
        qs = services_of(request).executions
        pk, _ = qs.find(project, domain, name)
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

    return await answer(request, "GET", _base(project, domain, name), build)


@router.get("/console/executions/{project}/{domain}/{name}/node")
async def node(request: Request, project: str, domain: str, name: str) -> Response:
    """One node: inputs, outputs, cache status, attempts, error with traceback, logs."""
    svc = services_of(request)
    path = request.query_params.get("path", "")

    def build() -> Response:
        qs = services_of(request).executions
        pk, record = qs.find(project, domain, name)
        rec = qs.node_record(pk, path)
        if rec is None:
            raise NotFoundError(f"execution {project}/{domain}/{name} has no node {path!r}")
        attempts = qs.attempt_records(pk, path)
        inputs, outputs = _node_values(request, record, rec)
        source = record.spec.source_execution
        return render(
            request,
            "node.html",
            node=rec,
            inputs=inputs,
            outputs=outputs,
            recovered=recovered_times(qs, record, [rec]).get(path),
            source=source.name if source else "",
            attempts=attempts,
            project=project,
            domain=domain,
            name=name,
            store_url=owned_prefixes(svc.config.store_url, project, domain),
        )

    return await answer(request, "GET", _base(project, domain, name), build)


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

    return await answer(request, "GET", _base(project, domain, name), build)


@router.get("/console/executions/{project}/{domain}/{name}/gantt")
async def gantt(request: Request, project: str, domain: str, name: str) -> Response:
    """The attempts on a time line (a window of 200 at a time)."""
    q = request.query_params

    def build() -> Response:
        qs = services_of(request).executions
        pk, record = qs.find(project, domain, name)
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

    return await answer(request, "GET", _base(project, domain, name), build)
