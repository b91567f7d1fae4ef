"""The console's clusters page: every compute cluster, its engine hosts (runner, capacity, load,
last heartbeat), running attempts and queue depth, refreshed every few seconds."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from slipstream.model import Cluster, ClusterCapacity, format_memory

from .._clusters import list_clusters
from ._pages import answer
from ._security import SecureRoute
from ._views import render, services_of

__all__ = ["capacity_text", "router"]

router = APIRouter(include_in_schema=False, route_class=SecureRoute)


def capacity_text(capacity: ClusterCapacity) -> str:
    """``8 CPUs · 32Gi · 1 GPU · 8 slots`` (what is unknown left out)."""
    parts = [f"{capacity.cpus:g} CPUs"] if capacity.cpus else []
    if capacity.memory:
        parts.append(format_memory(capacity.memory))
    if capacity.gpus:
        parts.append(f"{capacity.gpus} GPU{'s' if capacity.gpus > 1 else ''}")
    if capacity.slots:
        parts.append(f"{capacity.slots} slots")
    return " · ".join(parts) or "unknown"


@router.get("/console/clusters")
async def clusters(request: Request) -> Response:
    """The compute clusters (any signed-in user may see them: they hold no project's data);
    ``?fragment=1`` is the table alone, which the page asks for again every few seconds."""
    db = services_of(request).db
    fragment = request.query_params.get("fragment") == "1"

    def build() -> Response:
        found: list[Cluster] = list_clusters(db)
        template = "clusters_table.html" if fragment else "clusters.html"
        return render(request, template, clusters=found, capacity_text=capacity_text)

    return await answer(request, "GET", "/clusters", build)
