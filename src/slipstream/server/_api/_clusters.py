"""``GET /api/v1/clusters``: the compute clusters, their hosts, capacity, load and queues."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from fastapi.concurrency import run_in_threadpool

from slipstream.model import Cluster

from .._clusters import list_clusters
from .._services import Services
from ._deps import services
from ._io import doc, json_response

__all__ = ["router"]

router = APIRouter(tags=["clusters"])
Svc = Annotated[Services, Depends(services)]


@router.get("/clusters", **doc(response=dict[str, list[Cluster]]))
async def get_clusters(svc: Svc) -> Response:
    """Every cluster by name: its engine hosts as of their last heartbeats (alive or not), its
    capacity and running attempts over its live hosts, and its queue depth (QUEUED executions
    routed there). Any authenticated caller may list them: they hold no project's data."""
    return json_response({"items": await run_in_threadpool(list_clusters, svc.db)})
