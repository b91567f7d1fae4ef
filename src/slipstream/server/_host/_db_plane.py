"""The control plane reached through its database: the embedded engine host's, ``slipstream engine
--db URL``'s, and what the API runs for a data plane (scoped to the data plane's cluster)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Iterable

import msgspec
from sqlalchemy import select, update

from slipstream.engine import ChildExecutions, SignalSource
from slipstream.errors import IllegalTransitionError, NotFoundError
from slipstream.model import (
    ErrorInfo,
    ErrorKind,
    ExecutionId,
    ExecutionPhase,
    ExecutionRecord,
    Identifier,
    ResourceType,
    decode,
    execution_phase_after,
)
from slipstream.storage import DataLayout, open_store, store_for_uri

from .._database import BundleRow, Database, EntityRow, ExecutionRow
from .._loops import cause, is_transient
from .._plane_wire import Claimed, HostInfo, Program, RenewReply
from .._projects import oom_retry_of
from ._catalog import DbCatalog
from ._flush import Entries, flush
from ._leases import abort_requested, claim, expire_dead_local, release, renew
from ._signals import DbSignals
from ._store import Buffered, DbStateStore, StoredRows, stored_rows

__all__ = ["DbPlane"]

log = logging.getLogger("slipstream.engine_host")


class DbPlane:
    """The control plane of database ``db`` for the hosts of ``cluster``.

    ``children`` starts launch plan nodes' child executions (None: they run inline).
    ``store_url`` is the control plane's blob store (where code bundles are uploaded).
    """

    def __init__(
        self,
        db: Database,
        cluster: str = "local",
        *,
        store_url: str = "",
        children: ChildExecutions | None = None,
    ) -> None:
        self.db = db
        self.cluster = cluster
        self.store_url = store_url
        self._children = children

    # -- leases -------------------------------------------------------------------------------

    def claim(self, owner: str, lease_s: float, limit: int) -> list[Claimed]:
        pks = claim(self.db, owner, lease_s, limit, self.cluster)
        if not pks:
            return []
        with self.db.engine.connect() as conn:
            rows = dict(
                conn.execute(
                    select(ExecutionRow.id, ExecutionRow.record).where(ExecutionRow.id.in_(pks))
                ).all()
            )
            out = []
            policies: dict[tuple[str, str], object] = {}
            for pk in pks:
                raw = rows.get(pk)
                if raw is None:
                    continue
                try:
                    head = decode(raw, _Head)
                    scope = (head.id.project, head.id.domain)
                    if scope not in policies:
                        policies[scope] = oom_retry_of(conn, *scope)
                    oom = policies[scope]
                except Exception as e:  # unreadable: the host fails it when it loads it
                    if is_transient(e):
                        raise
                    oom = None
                out.append(Claimed(pk, raw, oom))  # type: ignore[arg-type]
        return out

    def renew(self, owner: str, pks: Collection[int], lease_s: float, host: HostInfo) -> RenewReply:
        self.heartbeat(owner, host)
        lost = renew(self.db, owner, pks, lease_s, self.cluster) if pks else set()
        kept = [pk for pk in pks if pk not in lost]
        return RenewReply(sorted(lost), sorted(self.aborting(owner, kept)))

    def heartbeat(self, owner: str, host: HostInfo) -> None:
        """Record that ``owner`` of this cluster is alive (the clusters page, failover)."""
        from .._clusters import record_heartbeat

        record_heartbeat(
            self.db,
            owner=owner,
            cluster=self.cluster,
            hostname=host.hostname,
            runner=host.runner,
            capacity=dict(host.capacity),
            running=host.running,
            executions=host.executions,
            lease_s=host.lease_s,
            store_url=host.store_url,
            started_at=host.started_at,
        )

    def aborting(self, owner: str, pks: Collection[int]) -> set[int]:
        return abort_requested(self.db, owner, pks, self.cluster)

    def release(self, owner: str, pks: Collection[int]) -> None:
        release(self.db, owner, pks, self.cluster)

    def expire_dead_local(self, hostname: str, alive: Callable[[int], bool]) -> int:
        return expire_dead_local(self.db, hostname, alive, self.cluster)

    def forget_host(self, owner: str) -> None:
        from .._clusters import forget_host

        forget_host(self.db, owner)

    # -- reads --------------------------------------------------------------------------------

    def stored(self, pk: int) -> StoredRows:
        return stored_rows(self.db, pk)

    def source(self, execution: ExecutionId) -> tuple[int, StoredRows]:
        with self.db.engine.connect() as conn:
            pk = conn.execute(
                select(ExecutionRow.id).where(
                    ExecutionRow.project == execution.project,
                    ExecutionRow.domain == execution.domain,
                    ExecutionRow.name == execution.name,
                )
            ).scalar_one_or_none()
        if pk is None:
            raise NotFoundError(f"the execution to recover, {execution}, does not exist")
        return pk, stored_rows(self.db, pk)

    def program(self, target: Identifier) -> Program:
        with self.db.engine.connect() as conn:
            row = conn.execute(
                select(EntityRow.spec, EntityRow.bundle).where(
                    EntityRow.resource_type == target.resource_type.value,
                    EntityRow.project == target.project,
                    EntityRow.domain == target.domain,
                    EntityRow.name == target.name,
                    EntityRow.version == target.version,
                )
            ).first()
        if row is None:
            raise NotFoundError(
                f"{target.resource_type.value} {target.project}/{target.domain}/{target.name}"
                f"@{target.version} is not registered"
            )
        kind = "task" if target.resource_type is ResourceType.TASK else "workflow"
        return Program(kind, row[0], row[1] or "")

    def bundle(self, digest: str) -> bytes:
        with self.db.engine.connect() as conn:
            uri = conn.execute(select(BundleRow.uri).where(BundleRow.digest == digest)).scalar()
        if uri:
            return store_for_uri(uri).get_bytes(uri)
        store = open_store(self.store_url)  # uploaded before bundles were indexed
        return store.get_bytes(DataLayout(store).bundle_uri(digest, ".tar.gz"))

    # -- writes -------------------------------------------------------------------------------

    def flush(
        self, owner: str, stores: Iterable[Buffered], catalog: Entries | None = None
    ) -> set[int]:
        return flush(self.db, owner, stores, catalog, self.cluster)

    def fail(self, owner: str, pk: int, code: str, message: str) -> None:
        """See :meth:`ControlPlane.fail`; a record that cannot even be read gets only its
        phase set, so that no restart trips on it again."""
        with self.db.engine.connect() as conn:
            raw = conn.execute(
                select(ExecutionRow.record).where(
                    ExecutionRow.id == pk, ExecutionRow.cluster == self.cluster
                )
            ).scalar()
        if raw is None:
            return
        try:
            try:
                record = decode(raw, ExecutionRecord)
                if record.phase.terminal:
                    return  # it ended meanwhile: nothing to fail
                store = DbStateStore(self.db, pk, record.id, self.store_url)
                err = ErrorInfo(code=code, message=message, kind=ErrorKind.SYSTEM)
                wanted = ExecutionPhase.FAILED
                if record.phase is ExecutionPhase.ABORTING:
                    wanted = ExecutionPhase.ABORTED
                phase = execution_phase_after(
                    record.phase, wanted, f"execution {record.id}", IllegalTransitionError
                )
                store.save_execution(
                    msgspec.structs.replace(record, phase=phase, error=err, ended_at=time.time())
                )
                self.flush(owner, [store])
            except Exception as e:
                if is_transient(e):
                    raise
                log.error("execution %s: its stored record is unusable: %s", pk, cause(e))
                with self.db.engine.begin() as conn:
                    conn.execute(
                        update(ExecutionRow)
                        .where(ExecutionRow.id == pk, ExecutionRow.lease_owner == owner)
                        .values(phase=ExecutionPhase.FAILED.value, updated_at=time.time())
                    )
        finally:
            try:
                self.release(owner, [pk])
            except Exception as e:
                log.warning("handing back the lease of %s failed: %s", pk, cause(e))

    # -- the engine's other interfaces ----------------------------------------------------------

    def catalog(self, store_url: str) -> DbCatalog:
        return DbCatalog(self.db, store_url)

    def signals(self) -> SignalSource:
        return DbSignals(self.db)

    def children(self) -> ChildExecutions | None:
        return self._children


class _Head(msgspec.Struct):
    """The part of an execution record a claim reads (its project and domain)."""

    id: ExecutionId
