"""Dependencies shared by the routes: the services and the page parameters."""

from __future__ import annotations

from fastapi import Query, Request

from .._pagination import MAX_LIMIT, PageRequest
from .._services import Services

__all__ = ["page_params", "services"]


def services(request: Request) -> Services:
    """The services of the running app."""
    svc: Services = request.app.state.services
    return svc


def page_params(
    limit: int = Query(100, description=f"rows per page, 1 to {MAX_LIMIT}"),
    cursor: str | None = Query(None, description="next_cursor of the previous page"),
    sort_by: str = Query("created_at", description="created_at or name"),
    order: str = Query("desc", description="asc or desc"),
) -> PageRequest:
    """Page parameters common to every list endpoint."""
    return PageRequest(limit=limit, cursor=cursor, sort_by=sort_by, order=order)  # type: ignore[arg-type]
