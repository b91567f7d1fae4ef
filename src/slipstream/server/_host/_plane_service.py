"""The control plane's side of a data plane: what ``/api/v1/clusters/NAME/plane/...`` runs.

A cluster token is trusted to run the code of the executions routed to its cluster, and nothing
more. So every request is scoped here, where the data is used: a host of cluster ``c`` claims,
reads and writes only executions whose ``cluster`` is ``c`` (the SQL of every lease and flush
carries the condition), reads only the programs, bundles and cache entries of those executions,
and the records it sends are decoded and checked against the execution they claim to belong to
before anything is written.
"""

from __future__ import annotations

import json
import time
from typing import Any

import msgspec
from sqlalchemy import select, update

from slipstream.errors import NotFoundError, PermissionDeniedError, ValidationError
from slipstream.model import (
    AttemptRecord,
    ExecutionId,
    ExecutionRecord,
    Identifier,
    NodePhase,
    NodeRecord,
    decode,
)

from .._database import CacheEntryRow, Database, EntityRow, ExecutionRow, SignalRow
from .._plane_wire import (
    Batch,
    Cached,
    CacheEntry,
    ClaimReply,
    ClaimRequest,
    FailRequest,
    FlushReply,
    FlushRequest,
    LeaseRequest,
    Maybe,
    Program,
    RenewReply,
    Reservation,
    Stored,
)
from ._db_plane import DbPlane
from ._leases import CLAIMABLE
from ._moved import UNREADABLE_EVENT
from ._store import Pending

__all__ = ["PlaneService"]

_EVENTS = frozenset({"execution_phase", "node_phase", UNREADABLE_EVENT})
_MAX_BATCHES = 10_000


class PlaneService:
    """Answers the hosts of every cluster, each scoped to its own (see the module docstring)."""

    def __init__(self, db: Database, store_url: str, children: Any = None) -> None:
        self.db = db
        self.store_url = store_url
        self._children = children
        """The server's ``DbChildExecutions`` (launch plan nodes of data planes' executions)."""

    def plane(self, cluster: str) -> DbPlane:
        return DbPlane(self.db, cluster, store_url=self.store_url, children=self._children)

    # -- leases -------------------------------------------------------------------------------

    def claim(self, cluster: str, req: ClaimRequest) -> ClaimReply:
        _check_owner(req.owner)
        if not 0 < req.lease_s <= 3600 or not 0 <= req.limit <= 1000:
            raise ValidationError("lease_s must be in (0, 3600] and limit in [0, 1000]")
        return ClaimReply(self.plane(cluster).claim(req.owner, req.lease_s, req.limit))

    def renew(self, cluster: str, req: LeaseRequest) -> RenewReply:
        _check_owner(req.owner)
        _check_pks(req.pks)
        if req.host is None or not 0 < req.lease_s <= 3600:
            raise ValidationError("a renewal carries its host and a lease_s in (0, 3600]")
        return self.plane(cluster).renew(req.owner, req.pks, req.lease_s, req.host)

    def aborting(self, cluster: str, req: LeaseRequest) -> list[int]:
        _check_pks(req.pks)
        return sorted(self.plane(cluster).aborting(req.owner, req.pks))

    def release(self, cluster: str, req: LeaseRequest) -> None:
        _check_pks(req.pks)
        self.plane(cluster).release(req.owner, req.pks)

    def owners(self, cluster: str, hostname: str) -> list[str]:
        """Lease owners on ``hostname`` of the cluster's unfinished executions."""
        t = ExecutionRow
        with self.db.engine.connect() as conn:
            rows = conn.execute(
                select(t.lease_owner)
                .where(
                    t.cluster == cluster,
                    t.lease_owner.startswith(f"{hostname}:", autoescape=True),
                    t.phase.in_(CLAIMABLE),
                )
                .distinct()
            ).all()
        return [r[0] for r in rows if r[0] is not None]

    def expire(self, cluster: str, owners: list[str]) -> int:
        """Expire the leases ``owners`` (hosts of this cluster that died) hold in it."""
        if not owners:
            return 0
        with self.db.engine.begin() as conn:
            result = conn.execute(
                update(ExecutionRow)
                .where(ExecutionRow.cluster == cluster, ExecutionRow.lease_owner.in_(owners))
                .values(lease_expires=0.0)
            )
        return int(result.rowcount or 0)

    def forget(self, cluster: str, owner: str) -> None:
        from .._clusters import forget_host
        from .._database import ClusterHostRow

        with self.db.engine.connect() as conn:
            mine = conn.execute(
                select(ClusterHostRow.owner).where(
                    ClusterHostRow.owner == owner, ClusterHostRow.cluster == cluster
                )
            ).first()
        if mine is not None:
            forget_host(self.db, owner)

    # -- reads --------------------------------------------------------------------------------

    def stored(self, cluster: str, pk: int) -> Stored:
        _check_pks([pk])
        self._routed(cluster, pk)
        nodes, attempts = self.plane(cluster).stored(pk)
        return Stored(pk, nodes, attempts)

    def source(self, cluster: str, execution: ExecutionId) -> Stored:
        """The records of the execution a ``recover`` of this cluster starts from."""
        t = ExecutionRow
        with self.db.engine.connect() as conn:
            near = conn.execute(
                select(t.id).where(
                    t.cluster == cluster,
                    t.project == execution.project,
                    t.domain == execution.domain,
                    t.phase.in_(CLAIMABLE),
                )
            ).first()
        if near is None:
            raise PermissionDeniedError(
                f"cluster {cluster!r} runs no execution in {execution.project}/"
                f"{execution.domain}: it may not read {execution.name}"
            )
        pk, (nodes, attempts) = self.plane(cluster).source(execution)
        return Stored(pk, nodes, attempts)

    def program(self, cluster: str, target: Identifier) -> Program:
        t = ExecutionRow
        with self.db.engine.connect() as conn:
            routed = conn.execute(
                select(t.id).where(
                    t.cluster == cluster,
                    t.project == target.project,
                    t.domain == target.domain,
                    t.target_type == target.resource_type.value,
                    t.target_name == target.name,
                    t.target_version == target.version,
                    t.phase.in_(CLAIMABLE),
                )
            ).first()
        if routed is None:
            raise NotFoundError(f"no execution of cluster {cluster!r} runs {target}")
        return self.plane(cluster).program(target)

    def bundle(self, cluster: str, digest: str) -> bytes:
        t, e = ExecutionRow, EntityRow
        with self.db.engine.connect() as conn:
            routed = conn.execute(
                select(t.id)
                .join(
                    e,
                    (e.project == t.project)
                    & (e.domain == t.domain)
                    & (e.resource_type == t.target_type)
                    & (e.name == t.target_name)
                    & (e.version == t.target_version),
                )
                .where(t.cluster == cluster, t.phase.in_(CLAIMABLE), e.bundle == digest)
            ).first()
        if routed is None:
            raise NotFoundError(f"no execution of cluster {cluster!r} runs code bundle {digest!r}")
        return self.plane(cluster).bundle(digest)

    def signal(self, cluster: str, execution: ExecutionId, name: str) -> Maybe:
        pk = self._find(cluster, execution)
        with self.db.engine.connect() as conn:
            value = conn.execute(
                select(SignalRow.value).where(SignalRow.execution_id == pk, SignalRow.name == name)
            ).scalar()
        return Maybe(value)

    # -- writes -------------------------------------------------------------------------------

    def flush(self, cluster: str, req: FlushRequest) -> FlushReply:
        """Check every record, then write them as the host's own flush would."""
        _check_owner(req.owner)
        if len(req.batches) > _MAX_BATCHES:
            raise ValidationError(f"at most {_MAX_BATCHES} executions per flush")
        _check_pks([b.pk for b in req.batches])
        ids = self._ids(cluster, [b.pk for b in req.batches])
        foreign = {b.pk for b in req.batches if b.pk not in ids}  # never its own: lost
        received = [_Received(b.pk, _pending(b, ids[b.pk])) for b in req.batches if b.pk in ids]
        entries = _Entries([self._entry(cluster, e) for e in req.entries])
        lost = self.plane(cluster).flush(req.owner, received, entries)
        return FlushReply(sorted(lost | foreign))

    def fail(self, cluster: str, req: FailRequest) -> None:
        _check_owner(req.owner)
        _check_pks([req.pk])
        if len(req.message) > 10_000 or len(req.code) > 64:
            raise ValidationError("a failure's code has at most 64 characters, its message 10,000")
        self.plane(cluster).fail(req.owner, req.pk, req.code, req.message)

    # -- the cache ----------------------------------------------------------------------------

    def cache_get(self, cluster: str, key: str) -> Cached:
        c = CacheEntryRow
        with self.db.engine.connect() as conn:
            row = conn.execute(
                select(c.project, c.domain, c.outputs, c.outputs_uri, c.expires_at).where(
                    c.key == key
                )
            ).first()
        if row is None or (row[4] is not None and row[4] <= time.time()):
            return Cached()
        if not self._runs_in(cluster, row[0], row[1]):
            return Cached()  # another project's entry: as if there were none
        return Cached(True, row[2], row[3])

    def cache_delete(self, cluster: str, key: str) -> None:
        c = CacheEntryRow
        with self.db.engine.connect() as conn:
            row = conn.execute(select(c.project, c.domain).where(c.key == key)).first()
        if row is not None and self._runs_in(cluster, row[0], row[1]):
            self.plane(cluster).catalog(self.store_url).delete(key)

    def reserve(self, cluster: str, req: Reservation) -> bool:
        _check_owner(req.owner)
        _check_ttl(req.ttl_s)
        return self.plane(cluster).catalog(self.store_url).reserve(req.key, req.owner, req.ttl_s)

    def cache_release(self, cluster: str, req: Reservation) -> None:
        _check_owner(req.owner)
        self.plane(cluster).catalog(self.store_url).release(req.key, req.owner)

    def cache_renew(self, cluster: str, req: Reservation) -> list[str]:
        _check_owner(req.owner)
        _check_ttl(req.ttl_s)
        return sorted(self.plane(cluster).catalog(self.store_url).renew(req.owner, req.ttl_s))

    # -- child executions ---------------------------------------------------------------------

    def child_start(self, cluster: str, parent: ExecutionId, node: str, lp: Identifier,
                    inputs: dict[str, Any]) -> ExecutionId:  # fmt: skip
        self._find(cluster, parent, running=True)
        if self._children is None:
            raise ValidationError("this control plane starts no child executions")
        child: ExecutionId = self._children.start(parent, node, lp, inputs)
        return child

    def child_poll(self, cluster: str, child: ExecutionId) -> Maybe:
        self._child_of(cluster, child)
        record = self._children.poll(child) if self._children is not None else None
        return Maybe(None if record is None else msgspec.json.encode(record).decode())

    def child_abort(self, cluster: str, child: ExecutionId, cause: str) -> None:
        self._child_of(cluster, child)
        if self._children is not None:
            self._children.abort(child, cause[:1000])

    # -- checks -------------------------------------------------------------------------------

    def _routed(self, cluster: str, pk: int) -> None:
        with self.db.engine.connect() as conn:
            found = conn.execute(
                select(ExecutionRow.id).where(
                    ExecutionRow.id == pk, ExecutionRow.cluster == cluster
                )
            ).first()
        if found is None:
            raise NotFoundError(f"execution {pk} is not routed to cluster {cluster!r}")

    def _find(self, cluster: str, execution: ExecutionId, running: bool = False) -> int:
        t = ExecutionRow
        conds = [
            t.cluster == cluster,
            t.project == execution.project,
            t.domain == execution.domain,
            t.name == execution.name,
        ]
        if running:
            conds.append(t.phase.in_(CLAIMABLE))
        with self.db.engine.connect() as conn:
            pk = conn.execute(select(t.id).where(*conds)).scalar()
        if pk is None:
            raise NotFoundError(f"execution {execution} is not routed to cluster {cluster!r}")
        return int(pk)

    def _child_of(self, cluster: str, child: ExecutionId) -> None:
        t = ExecutionRow
        with self.db.engine.connect() as conn:
            parent = conn.execute(
                select(t.parent_id).where(
                    t.project == child.project, t.domain == child.domain, t.name == child.name
                )
            ).scalar()
            ok = (
                parent is not None
                and conn.execute(select(t.id).where(t.id == parent, t.cluster == cluster)).first()
            )
        if not ok:
            raise NotFoundError(f"execution {child} is no child of cluster {cluster!r}'s")

    def _runs_in(self, cluster: str, project: str, domain: str) -> bool:
        t = ExecutionRow
        with self.db.engine.connect() as conn:
            return (
                conn.execute(
                    select(t.id).where(
                        t.cluster == cluster, t.project == project, t.domain == domain
                    )
                ).first()
                is not None
            )

    def _ids(self, cluster: str, pks: list[int]) -> dict[int, ExecutionId]:
        """The ids of the cluster's executions among ``pks`` (others are left out: their
        batches are reported lost by the flush's fencing)."""
        if not pks:
            return {}
        t = ExecutionRow
        with self.db.engine.connect() as conn:
            rows = conn.execute(
                select(t.id, t.project, t.domain, t.name).where(t.id.in_(pks), t.cluster == cluster)
            ).all()
        return {r[0]: ExecutionId(r[1], r[2], r[3]) for r in rows}

    def _entry(self, cluster: str, e: CacheEntry) -> dict[str, Any]:
        parts = e.source.split("/")
        if len(parts) != 3 or (parts[0], parts[1]) != (e.project, e.domain):
            raise ValidationError(f"cache entry {e.key!r}: its source must be project/domain/name")
        self._find(cluster, ExecutionId(*parts))
        if e.outputs:
            _json(e.outputs, f"cache entry {e.key!r}")
        return msgspec.structs.asdict(e)


class _Received:
    """A batch a data plane sent, as the flush takes buffers."""

    def __init__(self, pk: int, batch: Pending) -> None:
        self.execution_pk = pk
        self.lost = False
        self._batch: Pending | None = batch

    @property
    def dirty(self) -> bool:
        return bool(self._batch)

    def take(self) -> Pending:
        batch, self._batch = self._batch or Pending(), None
        return batch

    def give_back(self, batch: Pending) -> None:
        self._batch = batch

    def mark_lost(self) -> None:
        self.lost = True
        self._batch = None


class _Entries:
    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows

    def take(self) -> list[dict[str, Any]]:
        rows, self.rows = self.rows, []
        return rows

    def give_back(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows


def _pending(b: Batch, execution: ExecutionId) -> Pending:
    """The records of batch ``b``, each decoded and checked against its execution."""
    where = f"execution {execution}"
    out = Pending()
    if b.execution is not None:
        phase, text, terminal = b.execution
        record = _decode(text, ExecutionRecord, where)
        if record.id != execution:
            raise PermissionDeniedError(f"{where}: a record names another execution, {record.id}")
        if record.phase.value != phase or record.phase.terminal != terminal:
            raise ValidationError(f"{where}: the record's phase is not {phase!r}")
        out.execution = (phase, text, terminal)
    for path, (phase, text) in b.nodes.items():
        node = _decode(text, NodeRecord, f"{where}, node {path}")
        if node.path != path or NodePhase(node.phase).value != phase:
            raise ValidationError(f"{where}: node record {path!r} does not match its key")
        out.nodes[path] = (phase, text)
    for name, number, phase, text in b.attempts:
        attempt = _decode(text, AttemptRecord, f"{where}, node {name}")
        if attempt.node != name or attempt.number != number or attempt.phase.value != phase:
            raise ValidationError(f"{where}: attempt record {name}#{number} does not match its key")
        out.attempts[(name, number)] = (phase, text)
    for at, kind, node, payload in b.events:
        if kind not in _EVENTS:
            raise ValidationError(f"{where}: an engine host writes no {kind!r} events")
        _json(payload, f"{where}, event")
        out.events.append((at, kind, node, payload))
    return out


def _decode(text: str, kind: type[Any], where: str) -> Any:
    try:
        return decode(text, kind)
    except Exception as e:
        raise ValidationError(f"{where}: not a valid {kind.__name__}: {e}") from None


def _json(text: str, where: str) -> None:
    try:
        json.loads(text)
    except ValueError as e:
        raise ValidationError(f"{where}: not JSON: {e}") from None


def _check_pks(pks: list[int]) -> None:
    if len(pks) > _MAX_BATCHES or any(not 0 < pk < 1 << 63 for pk in pks):
        raise ValidationError(
            f"at most {_MAX_BATCHES} execution ids, each a positive 64-bit integer"
        )


def _check_ttl(ttl_s: float) -> None:
    if not 0 < ttl_s <= 86_400:
        raise ValidationError(f"ttl_s must be in (0, 86400], got {ttl_s}")


def _check_owner(owner: str) -> None:
    if not owner or len(owner) > 255 or "\x00" in owner:
        raise ValidationError("a lease owner is a name of 1 to 255 characters")
