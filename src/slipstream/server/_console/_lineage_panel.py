"""The lineage panel of a node's details: for each blob the node read, who made it; for each blob
it wrote, who read it later, each linked to that node's own page. Steps in projects the viewer
may not read show as hidden, as in the API (the lineage service filters them)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from slipstream.errors import SlipstreamError

from ._security import SecureRoute
from ._session import access
from ._views import error_page, render, services_of

__all__ = ["router"]

router = APIRouter(include_in_schema=False, route_class=SecureRoute)


@router.get("/console/executions/{project}/{domain}/{name}/lineage")
async def lineage_panel(request: Request, project: str, domain: str, name: str) -> Response:
    """The lineage of one node (``?path=n0``), one blob deep each way."""
    who = access(request, "GET", f"/executions/{project}/{domain}/{name}")
    if isinstance(who, Response):
        return who
    path = request.query_params.get("path", "")
    svc = services_of(request)
    try:
        found = await run_in_threadpool(svc.lineage.of_node, project, domain, name, path, who, 1)
    except SlipstreamError as e:
        return error_page(request, e)
    blobs = {b.uri: b for b in found.blobs}
    node = found.node
    read = [blobs[u] for u in (node.inputs if node else ()) if u in blobs]
    wrote = [blobs[u] for u in (node.outputs if node else ()) if u in blobs]
    return render(request, "lineage_panel.html", node=node, read=read, wrote=wrote)
