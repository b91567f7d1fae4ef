"""Routes for code bundles, registration, and reading tasks, workflows and launch plans."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from slipstream.errors import TooLargeError
from slipstream.model import (
    CompiledWorkflow,
    LaunchPlanSpec,
    Page,
    Registered,
    RegisterRequest,
    RegisterResult,
    ResourceType,
    TaskTemplate,
)

from .._database import PageRequest, check_digest
from .._services import Services
from ._deps import page_params, principal, services
from ._io import doc, json_response, read_body

__all__ = ["router"]

router = APIRouter(tags=["registration"])
Svc = Annotated[Services, Depends(services)]
PageQ = Annotated[PageRequest, Depends(page_params)]
_CHUNK = 1024 * 1024


@router.head("/bundles/{digest}")
def bundle_exists(digest: str, request: Request, svc: Svc) -> Response:
    """200 when the bundle was uploaded and the caller may read an entity that uses it, 404
    otherwise (no body): a client that gets 404 uploads it, which is a no-op when it exists."""
    found = svc.registry.may_read_bundle(digest, principal(request))
    return Response(status_code=200 if found else 404)


@router.get("/bundles/{digest}", response_class=Response)
def get_bundle(digest: str, request: Request, svc: Svc) -> Response:
    """The bundle's bytes (a gzipped tar of the project's sources), streamed; only for a caller
    who may read an entity that uses it (404 otherwise, as for a bundle that does not exist)."""
    stream = svc.registry.open_bundle(digest, principal(request))

    def chunks() -> Iterator[bytes]:
        with stream:
            while chunk := stream.read(_CHUNK):
                yield chunk

    return StreamingResponse(chunks(), media_type="application/gzip")


@router.put(
    "/bundles/{digest}",
    **doc(raw_body="application/octet-stream", response=dict[str, Any], status_code=201),
)
async def put_bundle(digest: str, request: Request, svc: Svc) -> Response:
    """Upload a bundle; its bytes must hash (SHA-256) to ``digest``. Uploading again is a no-op.

    The body streams to disk; past the server's limit the upload is refused (413) at once."""
    check_digest(digest)
    declared = request.headers.get("content-length")
    limit = svc.bundles.max_bytes
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TooLargeError(f"code bundle larger than {limit} bytes")
    created = await svc.bundles.receive(digest, request.stream())
    return json_response({"digest": digest, "created": created}, 201 if created else 200)


@router.post("/registrations", **doc(body=RegisterRequest, response=RegisterResult))
async def register(request: Request, svc: Svc) -> Response:
    """Register tasks, workflows and launch plans atomically (identical ones are no-ops)."""
    body = await read_body(request, RegisterRequest)
    caller = principal(request)
    return json_response(await run_in_threadpool(svc.registry.register, body, caller))


def _routes(resource_type: ResourceType, path: str, spec: Any) -> None:
    def list_entities(
        project: str,
        domain: str,
        svc: Svc,
        page: PageQ,
        name: str | None = Query(None),
        version: str | None = Query(None),
    ) -> Response:
        return json_response(
            svc.registry.list(resource_type, project, domain, page, name=name, version=version)
        )

    def get_entity(project: str, domain: str, name: str, version: str, svc: Svc) -> Response:
        return json_response(svc.registry.get(resource_type, project, domain, name, version))

    label = resource_type.value.replace("_", " ")
    list_entities.__doc__ = f"Registered {label}s of a project/domain, newest first by default."
    get_entity.__doc__ = f"One {label}; version ``latest`` is the newest registered version."
    router.add_api_route(
        f"/{path}/{{project}}/{{domain}}",
        list_entities,
        methods=["GET"],
        name=f"list_{path}",
        **doc(response=Page[Registered[spec]]),
    )
    router.add_api_route(
        f"/{path}/{{project}}/{{domain}}/{{name}}/{{version}}",
        get_entity,
        methods=["GET"],
        name=f"get_{resource_type.value}",
        **doc(response=Registered[spec]),
    )


_routes(ResourceType.TASK, "tasks", TaskTemplate)
_routes(ResourceType.WORKFLOW, "workflows", CompiledWorkflow)
_routes(ResourceType.LAUNCH_PLAN, "launch_plans", LaunchPlanSpec)
