"""``GET /metrics``: the server's figures in Prometheus' text format.

Any valid token may read them (a scraper's is made with ``slipstream auth token create
--metrics``, a token good for this route alone); a server started with metrics off answers 404.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from slipstream.errors import NotFoundError

from .._metrics import CONTENT_TYPE, Metrics

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    """Every metric of this server process (execution counts from the database, cached)."""
    found: Metrics = request.app.state.services.metrics
    if not found.enabled:
        raise NotFoundError("metrics are off on this server (its setting `metrics` is false)")
    body = await run_in_threadpool(found.render)
    return Response(body, media_type=CONTENT_TYPE)
