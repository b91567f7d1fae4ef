"""Routes reading executions (writes arrive with the engine host)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from slipstream.model import ExecutionRecord, Page

from .._pagination import PageRequest
from .._services import Services
from ._deps import page_params, services
from ._io import doc, json_response

__all__ = ["router"]

router = APIRouter(tags=["executions"])
Svc = Annotated[Services, Depends(services)]
PageQ = Annotated[PageRequest, Depends(page_params)]


@router.get("/executions/{project}/{domain}", **doc(response=Page[ExecutionRecord]))
def list_executions(
    project: str, domain: str, svc: Svc, page: PageQ, phase: str | None = Query(None)
) -> Response:
    """Executions of a project/domain, newest first by default, optionally in one phase."""
    return json_response(svc.executions.list(project, domain, page, phase=phase))


@router.get("/executions/{project}/{domain}/{name}", **doc(response=ExecutionRecord))
def get_execution(project: str, domain: str, name: str, svc: Svc) -> Response:
    """One execution's record."""
    return json_response(svc.executions.get(project, domain, name))
