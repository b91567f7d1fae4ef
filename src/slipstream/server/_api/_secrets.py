"""Routes of the secrets defined for a project and domain: set, delete, list names.

Values go in and never come out: tasks of that project and domain get them from the server when
they ask for them (``secret_requests``); the API lists names only. Setting and deleting need the
admin role on the project, listing the editor role (whose code may ask for them).
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool

from slipstream.errors import NotFoundError

from .._projects import SecretStore
from .._services import Services
from ._deps import services
from ._io import doc, json_response, read_body

__all__ = ["router"]

router = APIRouter(tags=["secrets"])
Svc = Annotated[Services, Depends(services)]
_ONE = "/secrets/{project}/{domain}/{group}/{key}"


class SecretValue(msgspec.Struct, forbid_unknown_fields=True):
    """The body that defines a secret."""

    value: str


class SecretName(msgspec.Struct):
    """A secret defined for a project and domain (never its value)."""

    group: str
    key: str


def _store(svc: Services, project: str, domain: str) -> SecretStore:
    svc.projects.get(project)  # NotFoundError for a project that does not exist
    if domain not in svc.config.domains:
        raise NotFoundError(f"domain {domain!r} is not one of this server's domains")
    return SecretStore(svc.config.home)


@router.get("/secrets/{project}/{domain}", **doc(response=list[SecretName]))
def list_secrets(project: str, domain: str, svc: Svc) -> Response:
    """The names of the secrets defined for a project and domain."""
    names = _store(svc, project, domain).names(project, domain)
    return json_response([SecretName(g, k) for g, k in names])


@router.put(_ONE, **doc(body=SecretValue, status_code=204))
async def put_secret(
    project: str, domain: str, group: str, key: str, request: Request, svc: Svc
) -> Response:
    """Define (or replace) a secret of a project and domain."""
    body = await read_body(request, SecretValue)
    store = _store(svc, project, domain)
    await run_in_threadpool(store.put, project, domain, group, key, body.value)
    return Response(status_code=204)


@router.delete(_ONE, **doc(status_code=204))
def delete_secret(project: str, domain: str, group: str, key: str, svc: Svc) -> Response:
    """Remove a secret of a project and domain."""
    _store(svc, project, domain).delete(project, domain, group, key)
    return Response(status_code=204)
