"""Routes for domains, projects, their settings and their promotions."""

from __future__ import annotations

from typing import Annotated

import msgspec
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from slipstream.errors import ValidationError
from slipstream.model import (
    Page,
    Project,
    ProjectCreate,
    ProjectState,
    PromoteRequest,
    Promotion,
    ResourceType,
    Settings,
)

from .._database import PageRequest
from .._projects import settings_target
from .._registry import decode_spec
from .._services import Services
from ._deps import caller, page_params, principal, services
from ._io import doc, json_response, read_body

__all__ = ["router"]

router = APIRouter(tags=["projects"])
Svc = Annotated[Services, Depends(services)]
PageQ = Annotated[PageRequest, Depends(page_params)]


@router.get("/domains", **doc(response=dict[str, list[str]]))
def list_domains(svc: Svc) -> Response:
    """The configured domains, in promotion order."""
    return json_response({"items": list(svc.config.domains)})


@router.post("/projects", **doc(body=ProjectCreate, response=Project, status_code=201))
async def create_project(request: Request, svc: Svc) -> Response:
    """Create a project."""
    body = await read_body(request, ProjectCreate)
    return json_response(await run_in_threadpool(svc.projects.create, body), 201)


@router.get("/projects", **doc(response=Page[Project]))
def list_projects(
    request: Request, svc: Svc, page: PageQ, state: str | None = Query(None)
) -> Response:
    """Projects where the caller holds a role (admins: all), newest first by default; ``state``
    filters active or archived ones."""
    if state is not None and state not in {s.value for s in ProjectState}:
        raise ValidationError(f"state must be 'active' or 'archived', got {state!r}")
    visible = principal(request).visible_projects()
    return json_response(
        svc.projects.list(page, None if state is None else ProjectState(state), visible)
    )


@router.get("/projects/{project}", **doc(response=Project))
def get_project(project: str, svc: Svc) -> Response:
    """Describe a project."""
    return json_response(svc.projects.get(project))


@router.post("/projects/{project}/archive", **doc(response=Project))
def archive_project(project: str, svc: Svc) -> Response:
    """Archive a project: it keeps its entities and refuses new registrations."""
    return json_response(svc.projects.archive(project))


@router.get("/projects/{project}/settings", **doc(response=Settings))
def get_project_settings(project: str, svc: Svc) -> Response:
    """Settings stored at the project level."""
    return json_response(svc.settings.get(project, ""))


@router.put("/projects/{project}/settings", **doc(body=Settings, response=Settings))
async def put_project_settings(project: str, request: Request, svc: Svc) -> Response:
    """Replace the project-level settings."""
    body = await read_body(request, Settings)
    return json_response(
        await run_in_threadpool(svc.settings.put, project, "", body, principal(request))
    )


_WORKFLOW_Q = Query(None, description="the settings of this workflow of the project+domain")
_PLAN_Q = Query(None, description="the settings of this launch plan of the project+domain")


def _target(workflow: str | None, launch_plan: str | None) -> str:
    if workflow is not None and launch_plan is not None:
        raise ValidationError("give a workflow or a launch plan, not both")
    if workflow is not None:
        return settings_target("workflow", workflow)
    return settings_target("launch_plan", launch_plan) if launch_plan is not None else ""


@router.get("/projects/{project}/domains/{domain}/settings", **doc(response=Settings))
def get_domain_settings(
    project: str,
    domain: str,
    svc: Svc,
    workflow: str | None = _WORKFLOW_Q,
    launch_plan: str | None = _PLAN_Q,
) -> Response:
    """Settings stored at the project+domain level, or of one of its workflows or launch plans."""
    if not domain:
        raise ValidationError("domain must not be empty")
    return json_response(svc.settings.get(project, domain, _target(workflow, launch_plan)))


@router.put(
    "/projects/{project}/domains/{domain}/settings", **doc(body=Settings, response=Settings)
)
async def put_domain_settings(
    project: str,
    domain: str,
    request: Request,
    svc: Svc,
    workflow: str | None = _WORKFLOW_Q,
    launch_plan: str | None = _PLAN_Q,
) -> Response:
    """Replace the project+domain settings, or those of one of its workflows or launch plans
    (which apply to its executions over the project+domain's)."""
    body = await read_body(request, Settings)
    if not domain:
        raise ValidationError("domain must not be empty")
    target = _target(workflow, launch_plan)
    return json_response(
        await run_in_threadpool(svc.settings.put, project, domain, body, principal(request), target)
    )


@router.get("/projects/{project}/domains/{domain}/settings/resolved", **doc(response=Settings))
def resolve_settings(
    project: str,
    domain: str,
    svc: Svc,
    task: str | None = Query(None, description="a registered task's name"),
    version: str = Query("latest", description="the task's version"),
) -> Response:
    """Effective settings in project/domain, for a registered task if one is named."""
    template = None
    if task is not None:
        registered = svc.registry.get(ResourceType.TASK, project, domain, task, version)
        with svc.db.session() as session:
            row = svc.registry.get_row(
                session, ResourceType.TASK, project, domain, task, registered.id.version
            )
            template = decode_spec(row)
    return json_response(svc.settings.resolve(project, domain, task=template))  # type: ignore[arg-type]


@router.post("/promotions", **doc(body=PromoteRequest, response=Promotion, status_code=201))
async def promote(request: Request, svc: Svc) -> Response:
    """Register an entity of one domain in another and record the promotion (``promoted_by`` is
    the caller)."""
    body = msgspec.structs.replace(
        await read_body(request, PromoteRequest), promoted_by=caller(request)
    )
    promoted = await run_in_threadpool(svc.promotions.promote, body, principal(request))
    return json_response(promoted, 201)


@router.get("/projects/{project}/promotions", **doc(response=Page[Promotion]))
def list_promotions(project: str, svc: Svc, page: PageQ) -> Response:
    """The promotion log of a project, newest first by default."""
    return json_response(svc.promotions.list(project, page))
