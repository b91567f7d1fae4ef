"""Dependencies shared by the routes: the services and the page parameters."""

from __future__ import annotations

from fastapi import Query, Request

from .._auth import ANONYMOUS, Principal
from .._database import MAX_LIMIT, PageRequest
from .._services import Services

__all__ = ["caller", "page_params", "principal", "services"]


def services(request: Request) -> Services:
    """The services of the running app."""
    svc: Services = request.app.state.services
    return svc


def principal(request: Request) -> Principal:
    """The authenticated caller of this request (the guard at the API's edge put it there)."""
    found: Principal | None = request.scope.get("state", {}).get("principal")
    return ANONYMOUS if found is None else found


def caller(request: Request) -> str:
    """The name of the user making this request: what writes record as who made them
    (``launched_by``, ``promoted_by``)."""
    return principal(request).name


def page_params(
    limit: int = Query(100, description=f"rows per page, 1 to {MAX_LIMIT}"),
    cursor: str | None = Query(None, description="next_cursor of the previous page"),
    sort_by: str = Query("created_at", description="created_at or name"),
    order: str = Query("desc", description="asc or desc"),
) -> PageRequest:
    """Page parameters common to every list endpoint."""
    return PageRequest(limit=limit, cursor=cursor, sort_by=sort_by, order=order)  # type: ignore[arg-type]
