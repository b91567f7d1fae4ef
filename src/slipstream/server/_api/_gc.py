"""The route that applies the retention policies now: ``POST /api/v1/gc`` (admin only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool

from slipstream.model import GcReport, GcRequest

from .._retention import Collector
from .._services import Services
from ._deps import principal, services
from ._io import doc, json_response, read_body

__all__ = ["router"]

router = APIRouter(tags=["retention"])
Svc = Annotated[Services, Depends(services)]


def _collector(request: Request, svc: Services) -> Collector:
    found: Collector | None = getattr(request.app.state, "collector", None)
    if found is None:  # an app not started by the server (tests): one collector per app
        found = request.app.state.collector = Collector(
            svc.db,
            svc.projects,
            svc.config.store_url,
            svc.config.protected_domains,
            svc.config.gc_grace_s,
        )
    return found


@router.post("/gc", **doc(body=GcRequest, response=GcReport))
async def collect(request: Request, svc: Svc) -> Response:
    """Apply the retention policies of one project (and domain) or, with an empty body's
    ``project``, of every project: delete the ended executions they let go, with their rows,
    logs, decks and the blobs nothing kept points at. ``dry_run`` only says what would go."""
    body = await read_body(request, GcRequest)
    collector = _collector(request, svc)
    report = await run_in_threadpool(collector.collect, body, principal(request))
    return json_response(report)
