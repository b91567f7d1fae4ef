"""The control plane reached through its HTTP API: what a data plane's engine host uses.

``slipstream engine --cluster NAME --endpoint URL --token T`` holds no database URL and nothing of
the server's home. Every read and write of :class:`~._plane.ControlPlane` is one request to
``/api/v1/clusters/NAME/plane/...`` with a cluster token (which reaches nothing else). A request
that cannot reach the server, or that it answers with 5xx (the database away), raises
:class:`PlaneUnavailable`, a ``ConnectionError``: the host's loop backs off and tries again with
what it buffered kept, as it does when its own database is away.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable
from typing import Any, TypeVar

import httpx
import msgspec

from slipstream.engine import PENDING, REJECTED, ChildExecutions, SignalSource
from slipstream.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    SlipstreamError,
    ValidationError,
)
from slipstream.model import (
    ExecutionId,
    ExecutionRecord,
    GateNode,
    Identifier,
    decode,
)

from .._loops import is_transient
from .._plane_wire import (
    Batch,
    Cached,
    CacheEntry,
    CacheLookup,
    ChildPoll,
    ChildStart,
    Claimed,
    ClaimReply,
    ClaimRequest,
    FailRequest,
    FlushReply,
    FlushRequest,
    HostInfo,
    LeaseRequest,
    Maybe,
    Program,
    RenewReply,
    Reservation,
    Stored,
)
from ._catalog import DbCatalog
from ._flush import Entries
from ._offload import load_outputs
from ._store import Buffered, StoredRows

__all__ = ["ApiPlane", "PlaneUnavailable"]

log = logging.getLogger("slipstream.engine_host")
T = TypeVar("T")

_ERRORS: dict[int, type[SlipstreamError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
}


class PlaneUnavailable(ConnectionError):
    """The control plane cannot be reached, or cannot answer now (its database is away)."""


class ApiPlane:
    """The control plane at ``endpoint``, as a host of ``cluster`` holding ``token`` sees it."""

    def __init__(
        self, endpoint: str, cluster: str, token: str | None, *, timeout_s: float = 30.0
    ) -> None:
        self.cluster = cluster
        self.endpoint = endpoint.rstrip("/")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(
            base_url=f"{self.endpoint}/api/v1/clusters/{cluster}/plane",
            headers=headers,
            timeout=timeout_s,
        )

    def close(self) -> None:
        self._http.close()

    # -- requests -----------------------------------------------------------------------------

    def _post(self, op: str, body: Any, reply: type[T]) -> T:
        data = self._send("POST", op, msgspec.json.encode(body))
        return msgspec.json.decode(data, type=reply)

    def _send(self, method: str, op: str, content: bytes | None = None) -> bytes:
        try:
            r = self._http.request(
                method,
                f"/{op}",
                content=content,
                headers={"Content-Type": "application/json"} if content is not None else None,
            )
        except httpx.TransportError as e:
            raise PlaneUnavailable(
                f"the control plane at {self.endpoint} is unreachable: {e}"
            ) from e
        if r.status_code >= 500 or r.status_code == 429:
            raise PlaneUnavailable(
                f"the control plane at {self.endpoint} answered {r.status_code} to {op}: "
                f"{_message(r)}"
            )
        if r.status_code >= 400:
            error = _ERRORS.get(r.status_code, SlipstreamError)
            raise error(f"the control plane refused {op} ({r.status_code}): {_message(r)}")
        return r.content

    # -- leases -------------------------------------------------------------------------------

    def claim(self, owner: str, lease_s: float, limit: int) -> list[Claimed]:
        return self._post("claim", ClaimRequest(owner, lease_s, limit), ClaimReply).executions

    def renew(self, owner: str, pks: Collection[int], lease_s: float, host: HostInfo) -> RenewReply:
        return self._post("renew", LeaseRequest(owner, list(pks), lease_s, host), RenewReply)

    def aborting(self, owner: str, pks: Collection[int]) -> set[int]:
        if not pks:
            return set()
        return set(self._post("aborting", LeaseRequest(owner, list(pks)), list[int]))

    def release(self, owner: str, pks: Collection[int]) -> None:
        if pks:
            self._post("release", LeaseRequest(owner, list(pks)), dict[str, Any])

    def expire_dead_local(self, hostname: str, alive: Callable[[int], bool]) -> int:
        """Leases of this cluster's hosts on ``hostname`` whose process is gone expire now (a
        data plane restarted after a crash resumes its executions at once)."""
        owners = self._post("owners", {"hostname": hostname}, list[str])
        prefix = f"{hostname}:"
        dead = []
        for owner in owners:
            parts = owner[len(prefix) :].split(":") if owner.startswith(prefix) else []
            if parts and parts[0].isdigit() and not alive(int(parts[0])):
                dead.append(owner)
        if not dead:
            return 0
        return self._post("expire", {"owners": dead}, int)

    def forget_host(self, owner: str) -> None:
        self._post("forget", {"owner": owner}, dict[str, Any])

    # -- reads --------------------------------------------------------------------------------

    def stored(self, pk: int) -> StoredRows:
        found = self._post("stored", {"pk": pk}, Stored)
        return list(found.nodes), list(found.attempts)

    def source(self, execution: ExecutionId) -> tuple[int, StoredRows]:
        found = self._post("source", {"execution": execution}, Stored)
        return found.pk, (list(found.nodes), list(found.attempts))

    def program(self, target: Identifier) -> Program:
        return self._post("program", {"target": target}, Program)

    def bundle(self, digest: str) -> bytes:
        return self._send("GET", f"bundles/{digest}")

    # -- writes -------------------------------------------------------------------------------

    def flush(
        self, owner: str, stores: Iterable[Buffered], catalog: Entries | None = None
    ) -> set[int]:
        """One request for every buffer; kept for the next try if it fails (like a rolled-back
        transaction), dropped and marked lost for executions whose lease ``owner`` lost."""
        stores = list(stores)
        lost = {s.execution_pk for s in stores if s.lost}
        taken = {s.execution_pk: (s, s.take()) for s in stores if not s.lost and s.dirty}
        entries = catalog.take() if catalog is not None else []
        if not taken and not entries:
            return lost
        batches = [
            Batch(
                pk,
                p.execution,
                p.nodes,
                [(node, number, phase, rec) for (node, number), (phase, rec) in p.attempts.items()],
                p.events,
            )
            for pk, (_, p) in taken.items()
        ]
        try:
            reply = self._post(
                "flush",
                FlushRequest(owner, batches, [CacheEntry(**e) for e in entries]),
                FlushReply,
            )
        except BaseException:
            for store, batch in taken.values():
                store.give_back(batch)
            if catalog is not None:
                catalog.give_back(entries)
            raise
        for pk in reply.lost:
            found = taken.get(pk)
            if found is not None:
                found[0].mark_lost()
            lost.add(pk)
        return lost

    def fail(self, owner: str, pk: int, code: str, message: str) -> None:
        self._post("fail", FailRequest(owner, pk, code, message), dict[str, Any])

    # -- the engine's other interfaces --------------------------------------------------------

    def catalog(self, store_url: str) -> DbCatalog:
        return ApiCatalog(self, store_url)

    def signals(self) -> SignalSource:
        return _ApiSignals(self)

    def children(self) -> ChildExecutions | None:
        return _ApiChildren(self)


class ApiCatalog(DbCatalog):
    """The shared cache through the control plane: new entries go with the turn's flush,
    lookups and ``cache_serialize`` reservations are requests; outputs too large for a row are
    written to this data plane's own store."""

    def __init__(self, plane: ApiPlane, store_url: str) -> None:
        super().__init__(None, store_url)
        self._plane = plane

    def _stored(self, key: str, now: float) -> dict[str, Any] | None:
        found = self._plane._post("catalog/get", CacheLookup(key), Cached)
        return {"outputs": found.outputs, "outputs_uri": found.outputs_uri} if found.found else None

    def _forget(self, key: str) -> None:
        self._plane._post("catalog/delete", CacheLookup(key), dict[str, Any])

    def reserve(self, key: str, owner: str, ttl_s: float) -> bool:
        try:
            return self._plane._post("catalog/reserve", Reservation(key, owner, ttl_s), bool)
        except PlaneUnavailable:
            return True  # the control plane is away: compute it here rather than wait

    def release(self, key: str, owner: str) -> None:
        self._plane._post("catalog/release", Reservation(key, owner), dict[str, Any])

    def renew(self, owner: str, ttl_s: float) -> set[str]:
        keys = self._plane._post("catalog/renew", Reservation(owner=owner, ttl_s=ttl_s), list[str])
        return set(keys)


class _ApiSignals:
    """Gate values through the control plane; :data:`PENDING` while it cannot be reached."""

    def __init__(self, plane: ApiPlane) -> None:
        self._plane = plane

    def get(self, execution: ExecutionId, node: str, gate: GateNode, deadline: float | None) -> Any:
        try:
            raw = self._plane._post(
                "signal", {"execution": execution, "name": gate.name}, Maybe
            ).value
        except Exception as e:
            if not is_transient(e):
                raise
            return PENDING
        if raw is None:
            return PENDING
        literal = decode(raw, Any)
        if gate.gate == "approve":
            return REJECTED if isinstance(literal, bool) and not literal else True
        return literal


class _ApiChildren:
    """Child executions started, followed and aborted through the control plane."""

    def __init__(self, plane: ApiPlane) -> None:
        self._plane = plane

    def start(
        self, parent: ExecutionId, node: str, launch_plan: Identifier, inputs: dict[str, Any]
    ) -> ExecutionId:
        body = ChildStart(parent, node, launch_plan, inputs)
        return self._plane._post("children/start", body, ExecutionId)

    def poll(self, child: ExecutionId) -> ExecutionRecord | None:
        raw = self._plane._post("children/poll", ChildPoll(child), Maybe).value
        if raw is None:
            return None
        record = decode(raw, ExecutionRecord)
        if record.outputs is None and record.outputs_uri:
            record = msgspec.structs.replace(record, outputs=load_outputs(record))
        return record

    def abort(self, child: ExecutionId, cause: str) -> None:
        self._plane._post("children/abort", ChildPoll(child, cause), dict[str, Any])


def _message(r: httpx.Response) -> str:
    try:
        body = r.json()
    except ValueError:
        return r.text[:300]
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            body = error
        return str(body.get("message") or body.get("detail") or body)
    return str(body)[:300]
