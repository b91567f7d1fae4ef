"""The data plane routes: ``/api/v1/clusters/{cluster}/plane/...``, for engine hosts of a cluster.

Only a token made with ``slipstream auth token create --cluster NAME`` (scope ``cluster:NAME``)
reaches them, and only for its own cluster; an admin's unscoped token may too (a data plane run by
an operator). What each request may touch is checked by the plane service, where the data is used.
"""

from __future__ import annotations

from collections.abc import Callable
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


def _owners(body: _Owners) -> tuple[Any, ...]:
    if len(body.owners) > 1000:
        raise ValidationError("at most 1000 owners at once")
    return (body.owners,)


def _whole(body: Any) -> tuple[Any, ...]:
    return (body,)


# (path, PlaneService method, body type, response type, the method's arguments from the body, what
# the operation does): each a POST whose caller must be the cluster's data plane
_OPS: tuple[tuple[str, str, Any, Any, Callable[[Any], tuple[Any, ...]], str], ...] = (
    ("claim", "claim", w.ClaimRequest, w.ClaimReply, _whole,
     "Claim executions routed to the cluster whose lease is free or expired."),
    ("renew", "renew", w.LeaseRequest, w.RenewReply, _whole,
     "Renew leases and report the host (the cluster's heartbeat)."),
    ("aborting", "aborting", w.LeaseRequest, list[int], _whole,
     "Which of the host's executions someone asked to abort."),
    ("release", "release", w.LeaseRequest, None, _whole, "Hand leases back."),
    ("owners", "owners", _Owners, list[str], lambda b: (b.hostname,),
     "The lease owners of the cluster on one machine (to expire those whose process died)."),
    ("expire", "expire", _Owners, int, _owners,
     "Expire the leases of the cluster's hosts that died."),
    ("forget", "forget", _Owners, None, lambda b: (b.owner,),
     "A host of the cluster stopped cleanly."),
    ("stored", "stored", _Pk, w.Stored, lambda b: (b.pk,),
     "The stored node and attempt records of one of the cluster's executions."),
    ("source", "source", _Execution, w.Stored, lambda b: (b.execution,),
     "The records of the execution a ``recover`` of the cluster starts from."),
    ("program", "program", _Target, w.Program, lambda b: (b.target,),
     "The task or workflow one of the cluster's executions runs."),
    ("signal", "signal", _Execution, w.Maybe, lambda b: (b.execution, b.name),
     "The value sent to a gate of one of the cluster's executions (null: none yet)."),
    ("flush", "flush", w.FlushRequest, w.FlushReply, _whole,
     "Write the records of one turn of a host, in one transaction, fenced by its leases."),
    ("fail", "fail", w.FailRequest, None, _whole,
     "Record a claimed execution that cannot go on as failed."),
    ("catalog/get", "cache_get", w.CacheLookup, w.Cached, lambda b: (b.key,),
     "A cache entry of a project the cluster runs executions of."),
    ("catalog/delete", "cache_delete", w.CacheLookup, None, lambda b: (b.key,),
     "Forget a cache entry whose data is gone."),
    ("catalog/reserve", "reserve", w.Reservation, bool, _whole,
     "Take the right to compute a cache key (``cache_serialize``)."),
    ("catalog/release", "cache_release", w.Reservation, None, _whole,
     "Give a reservation back."),
    ("catalog/renew", "cache_renew", w.Reservation, list[str], _whole,
     "Extend the reservations a host holds."),
    ("children/start", "child_start", w.ChildStart, ExecutionId,
     lambda b: (b.parent, b.node, b.launch_plan, dict(b.inputs)),
     "Start the child execution of a launch plan node (as the parent's launcher)."),
    ("children/poll", "child_poll", w.ChildPoll, w.Maybe, lambda b: (b.child,),
     "A child execution's record once it ended (null before)."),
    ("children/abort", "child_abort", w.ChildPoll, None, lambda b: (b.child, b.cause),
     "Abort a child execution."),
)  # fmt: skip


def _route(method: str, body_type: Any, args: Callable[[Any], tuple[Any, ...]]) -> Any:
    """The endpoint of one operation: check the caller, decode the body, call the service."""

    async def endpoint(cluster: str, request: Request, svc: Svc) -> Response:
        _check(request, cluster)
        body = await read_body(request, body_type)
        out = await run_in_threadpool(getattr(svc.planes, method), cluster, *args(body))
        return json_response({} if out is None else out)

    return endpoint


for _op, _method, _body, _reply, _args, _what in _OPS:
    router.add_api_route(
        f"{_PATH}/{_op}",
        _route(_method, _body, _args),
        methods=["POST"],
        name=f"plane_{_method}",
        description=_what,
        **doc(body=_body, response=_reply),
    )


@router.get(f"{_PATH}/bundles/{{digest}}")
async def bundle(cluster: str, digest: str, request: Request, svc: Svc) -> Response:
    """The code bundle of one of the cluster's executions (a ``.tar.gz``)."""
    _check(request, cluster)
    data = await run_in_threadpool(svc.planes.bundle, cluster, digest)
    return Response(data, media_type="application/gzip")
