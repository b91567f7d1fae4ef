"""Routes of launch plan schedules (activate, deactivate, read, ticks, backfill) and of the
notifications recorded for ended executions.

Who activates or backfills is the caller the API's edge authenticated.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from slipstream.model import (
    BackfillRequest,
    BackfillResult,
    NotificationDelivery,
    Page,
    ScheduleActivation,
    ScheduleState,
    ScheduleTick,
)

from .._database import PageRequest
from .._services import Services
from ._deps import caller, page_params, services
from ._io import doc, json_response, read_body

__all__ = ["router"]

router = APIRouter(tags=["schedules"])
Svc = Annotated[Services, Depends(services)]
PageQ = Annotated[PageRequest, Depends(page_params)]
_ONE = "/schedules/{project}/{domain}/{name}"


@router.get("/schedules/{project}/{domain}", **doc(response=list[ScheduleState]))
def list_schedules(
    project: str,
    domain: str,
    svc: Svc,
    active: bool = Query(False, description="only the active schedules"),
) -> Response:
    """The schedules of a project and domain: one per launch plan name ever activated."""
    return json_response(svc.schedules.list(project, domain, active_only=active))


@router.get(_ONE, **doc(response=ScheduleState))
def get_schedule(project: str, domain: str, name: str, svc: Svc) -> Response:
    """The schedule of launch plan ``name``: its active version and next tick."""
    return json_response(svc.schedules.get(project, domain, name))


@router.post(f"{_ONE}/activate", **doc(body=ScheduleActivation, response=ScheduleState))
async def activate_schedule(
    project: str, domain: str, name: str, request: Request, svc: Svc
) -> Response:
    """Activate one version's schedule; the version active before (if any) stops."""
    body = await read_body(request, ScheduleActivation)
    state = await run_in_threadpool(
        svc.schedules.activate, project, domain, name, body.version, caller(request)
    )
    return json_response(state)


@router.post(f"{_ONE}/deactivate", **doc(response=ScheduleState))
async def deactivate_schedule(
    project: str, domain: str, name: str, request: Request, svc: Svc
) -> Response:
    """Stop the schedule of launch plan ``name``."""
    state = await run_in_threadpool(
        svc.schedules.deactivate, project, domain, name, caller(request)
    )
    return json_response(state)


@router.get(f"{_ONE}/ticks", **doc(response=Page[ScheduleTick]))
def list_ticks(project: str, domain: str, name: str, svc: Svc, page: PageQ) -> Response:
    """The ticks claimed for launch plan ``name`` (scheduled and backfilled), newest first."""
    return json_response(svc.schedules.ticks(project, domain, name, page))


@router.post(f"{_ONE}/backfill", **doc(body=BackfillRequest, response=BackfillResult))
async def backfill(project: str, domain: str, name: str, request: Request, svc: Svc) -> Response:
    """Run the ticks of a range of past times, paced; ticks that already ran are left alone."""
    body = await read_body(request, BackfillRequest)
    result = await run_in_threadpool(svc.schedules.backfill, project, domain, name, body)
    return json_response(result, 201)


@router.get("/notifications/{project}/{domain}", **doc(response=Page[NotificationDelivery]))
def list_notifications(
    project: str,
    domain: str,
    svc: Svc,
    page: PageQ,
    state: str | None = Query(None, description="pending, sent or failed"),
) -> Response:
    """Notifications of ended executions and their delivery, newest first."""
    return json_response(svc.notifications.list(project, domain, page, state=state))
