"""The data plane routes: ``/api/v1/clusters/{cluster}/plane/...``, for engine hosts of a cluster.

Only a token made with ``slipstream auth token create --cluster NAME`` (scope ``cluster:NAME``)
reaches them, and only for its own cluster; an admin's unscoped token may too (a data plane run by
an operator). What each request may touch is checked by the plane service, where the data is used.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

import msgspec
from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool

from slipstream.errors import PermissionDeniedError, ValidationError
from slipstream.model import ExecutionId, Identifier

from .. import _plane_wire as w
from .._services import Services
from ._deps import principal, services
from ._io import doc, json_response
from ._io import read_body as _read_body

__all__ = ["router"]

router = APIRouter(tags=["data planes"])
Svc = Annotated[Services, Depends(services)]
_PATH = "/clusters/{cluster}/plane"
T = TypeVar("T")


class _Owners(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    hostname: str = ""
    owners: list[str] = []
    owner: str = ""


class _Pk(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    pk: int


class _Execution(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    execution: ExecutionId
    name: str = ""


class _Target(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    target: Identifier


def _check(request: Request, cluster: str) -> None:
    """Refuse a caller that is not ``cluster``'s data plane (nor an admin)."""
    caller = principal(request)
    if caller.scope != f"cluster:{cluster}" and not (not caller.scope and caller.is_admin):
        raise PermissionDeniedError(
            f"only a token of cluster {cluster!r} (`slipstream auth token create --cluster "
            f"{cluster}`) or an admin's may act as its data plane",
            details={"cluster": cluster},
        )


async def read_body(request: Request, tp: type[T]) -> T:
    """The body decoded strictly into ``tp`` (the guard does not parse these bodies); a NUL
    character, which no name or record may hold, anywhere in it is refused."""
    raw = await request.body()
    if b"\\u0000" in raw.lower() or b"\x00" in raw:
        raise ValidationError("the JSON body holds a NUL character, which no field may hold")
    return await _read_body(request, tp)


async def _call(fn: Any, *args: Any) -> Response:
    out = await run_in_threadpool(fn, *args)
    return json_response({} if out is None else out)


@router.post(f"{_PATH}/claim", **doc(body=w.ClaimRequest, response=w.ClaimReply))
async def claim(cluster: str, request: Request, svc: Svc) -> Response:
    """Claim executions routed to the cluster whose lease is free or expired."""
    _check(request, cluster)
    plane = svc.planes
    return await _call(plane.claim, cluster, await read_body(request, w.ClaimRequest))


@router.post(f"{_PATH}/renew", **doc(body=w.LeaseRequest, response=w.RenewReply))
async def renew(cluster: str, request: Request, svc: Svc) -> Response:
    """Renew leases and report the host (the cluster's heartbeat)."""
    _check(request, cluster)
    plane = svc.planes
    return await _call(plane.renew, cluster, await read_body(request, w.LeaseRequest))


@router.post(f"{_PATH}/aborting", **doc(body=w.LeaseRequest))
async def aborting(cluster: str, request: Request, svc: Svc) -> Response:
    """Which of the host's executions someone asked to abort."""
    _check(request, cluster)
    plane = svc.planes
    return await _call(plane.aborting, cluster, await read_body(request, w.LeaseRequest))


@router.post(f"{_PATH}/release", **doc(body=w.LeaseRequest))
async def release(cluster: str, request: Request, svc: Svc) -> Response:
    """Hand leases back."""
    _check(request, cluster)
    plane = svc.planes
    return await _call(plane.release, cluster, await read_body(request, w.LeaseRequest))


@router.post(f"{_PATH}/owners", **doc(body=_Owners))
async def owners(cluster: str, request: Request, svc: Svc) -> Response:
    """The lease owners of the cluster on one machine (to expire those whose process died)."""
    _check(request, cluster)
    plane = svc.planes
    body = await read_body(request, _Owners)
    return await _call(plane.owners, cluster, body.hostname)


@router.post(f"{_PATH}/expire", **doc(body=_Owners))
async def expire(cluster: str, request: Request, svc: Svc) -> Response:
    """Expire the leases of the cluster's hosts that died."""
    _check(request, cluster)
    plane = svc.planes
    body = await read_body(request, _Owners)
    if len(body.owners) > 1000:
        raise ValidationError("at most 1000 owners at once")
    return await _call(plane.expire, cluster, body.owners)


@router.post(f"{_PATH}/forget", **doc(body=_Owners))
async def forget(cluster: str, request: Request, svc: Svc) -> Response:
    """A host of the cluster stopped cleanly."""
    _check(request, cluster)
    plane = svc.planes
    body = await read_body(request, _Owners)
    return await _call(plane.forget, cluster, body.owner)


@router.post(f"{_PATH}/stored", **doc(body=_Pk, response=w.Stored))
async def stored(cluster: str, request: Request, svc: Svc) -> Response:
    """The stored node and attempt records of one of the cluster's executions."""
    _check(request, cluster)
    plane = svc.planes
    return await _call(plane.stored, cluster, (await read_body(request, _Pk)).pk)


@router.post(f"{_PATH}/source", **doc(body=_Execution, response=w.Stored))
async def source(cluster: str, request: Request, svc: Svc) -> Response:
    """The records of the execution a ``recover`` of the cluster starts from."""
    _check(request, cluster)
    plane = svc.planes
    return await _call(plane.source, cluster, (await read_body(request, _Execution)).execution)


@router.post(f"{_PATH}/program", **doc(body=_Target, response=w.Program))
async def program(cluster: str, request: Request, svc: Svc) -> Response:
    """The task or workflow one of the cluster's executions runs."""
    _check(request, cluster)
    plane = svc.planes
    return await _call(plane.program, cluster, (await read_body(request, _Target)).target)


@router.get(f"{_PATH}/bundles/{{digest}}")
async def bundle(cluster: str, digest: str, request: Request, svc: Svc) -> Response:
    """The code bundle of one of the cluster's executions (a ``.tar.gz``)."""
    _check(request, cluster)
    plane = svc.planes
    data = await run_in_threadpool(plane.bundle, cluster, digest)
    return Response(data, media_type="application/gzip")


@router.post(f"{_PATH}/signal", **doc(body=_Execution, response=w.Maybe))
async def signal(cluster: str, request: Request, svc: Svc) -> Response:
    """The value sent to a gate of one of the cluster's executions (null: none yet)."""
    _check(request, cluster)
    plane = svc.planes
    body = await read_body(request, _Execution)
    return await _call(plane.signal, cluster, body.execution, body.name)


@router.post(f"{_PATH}/flush", **doc(body=w.FlushRequest, response=w.FlushReply))
async def flush(cluster: str, request: Request, svc: Svc) -> Response:
    """Write the records of one turn of a host, in one transaction, fenced by its leases."""
    _check(request, cluster)
    plane = svc.planes
    return await _call(plane.flush, cluster, await read_body(request, w.FlushRequest))


@router.post(f"{_PATH}/fail", **doc(body=w.FailRequest))
async def fail(cluster: str, request: Request, svc: Svc) -> Response:
    """Record a claimed execution that cannot go on as failed."""
    _check(request, cluster)
    plane = svc.planes
    return await _call(plane.fail, cluster, await read_body(request, w.FailRequest))


@router.post(f"{_PATH}/catalog/get", **doc(body=w.CacheLookup, response=w.Cached))
async def cache_get(cluster: str, request: Request, svc: Svc) -> Response:
    """A cache entry of a project the cluster runs executions of."""
    _check(request, cluster)
    plane = svc.planes
    return await _call(plane.cache_get, cluster, (await read_body(request, w.CacheLookup)).key)


@router.post(f"{_PATH}/catalog/delete", **doc(body=w.CacheLookup))
async def cache_delete(cluster: str, request: Request, svc: Svc) -> Response:
    """Forget a cache entry whose data is gone."""
    _check(request, cluster)
    plane = svc.planes
    key = (await read_body(request, w.CacheLookup)).key
    return await _call(plane.cache_delete, cluster, key)


@router.post(f"{_PATH}/catalog/reserve", **doc(body=w.Reservation))
async def cache_reserve(cluster: str, request: Request, svc: Svc) -> Response:
    """Take the right to compute a cache key (``cache_serialize``)."""
    _check(request, cluster)
    plane = svc.planes
    body = await read_body(request, w.Reservation)
    out = await run_in_threadpool(plane.reserve, cluster, body)
    return json_response(out)


@router.post(f"{_PATH}/catalog/release", **doc(body=w.Reservation))
async def cache_release(cluster: str, request: Request, svc: Svc) -> Response:
    """Give a reservation back."""
    _check(request, cluster)
    plane = svc.planes
    return await _call(plane.cache_release, cluster, await read_body(request, w.Reservation))


@router.post(f"{_PATH}/catalog/renew", **doc(body=w.Reservation))
async def cache_renew(cluster: str, request: Request, svc: Svc) -> Response:
    """Extend the reservations a host holds."""
    _check(request, cluster)
    plane = svc.planes
    return await _call(plane.cache_renew, cluster, await read_body(request, w.Reservation))


@router.post(f"{_PATH}/children/start", **doc(body=w.ChildStart))
async def child_start(cluster: str, request: Request, svc: Svc) -> Response:
    """Start the child execution of a launch plan node (as the parent's launcher)."""
    _check(request, cluster)
    plane = svc.planes
    b = await read_body(request, w.ChildStart)
    inputs: dict[str, Any] = dict(b.inputs)
    return await _call(plane.child_start, cluster, b.parent, b.node, b.launch_plan, inputs)


@router.post(f"{_PATH}/children/poll", **doc(body=w.ChildPoll, response=w.Maybe))
async def child_poll(cluster: str, request: Request, svc: Svc) -> Response:
    """A child execution's record once it ended (null before)."""
    _check(request, cluster)
    plane = svc.planes
    return await _call(plane.child_poll, cluster, (await read_body(request, w.ChildPoll)).child)


@router.post(f"{_PATH}/children/abort", **doc(body=w.ChildPoll))
async def child_abort(cluster: str, request: Request, svc: Svc) -> Response:
    """Abort a child execution."""
    _check(request, cluster)
    plane = svc.planes
    b = await read_body(request, w.ChildPoll)
    return await _call(plane.child_abort, cluster, b.child, b.cause)
