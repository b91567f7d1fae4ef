"""What an engine host needs of the control plane, whichever way it reaches it.

An engine host embedded in the server, or started with ``slipstream engine --db URL``, reaches the
control plane's database directly (:class:`~._db_plane.DbPlane`); a data plane started with
``--endpoint URL`` reaches it only through the API (:class:`~._api_plane.ApiPlane`). The host's
loop is the same code over either: claim executions of its cluster under leases, read their
records and programs, write their records in one batch per turn, renew, release.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from typing import Protocol

from slipstream.engine import ChildExecutions, SignalSource
from slipstream.model import ExecutionId, Identifier

from .._plane_wire import Claimed, HostInfo, Program, RenewReply
from ._catalog import DbCatalog
from ._store import DbStateStore, StoredRows

__all__ = ["ControlPlane"]


class ControlPlane(Protocol):
    """The control plane as one engine host of cluster :attr:`cluster` sees it.

    Every method that takes ``pks`` only acts on executions routed to the cluster; writes are
    fenced by the lease ``owner`` holds (see :func:`~._flush.flush`).
    """

    cluster: str

    def claim(self, owner: str, lease_s: float, limit: int) -> list[Claimed]:
        """Take up to ``limit`` executions of the cluster whose lease is free or expired."""
        ...

    def renew(self, owner: str, pks: Collection[int], lease_s: float, host: HostInfo) -> RenewReply:
        """Extend ``owner``'s leases (reporting the host: its cluster's heartbeat); which it
        lost, and which of those it keeps someone asked to abort."""
        ...

    def aborting(self, owner: str, pks: Collection[int]) -> set[int]:
        """Which of ``owner``'s executions ``pks`` someone asked to abort."""
        ...

    def release(self, owner: str, pks: Collection[int]) -> None:
        """Hand ``owner``'s leases of ``pks`` back."""
        ...

    def expire_dead_local(self, hostname: str, alive: Callable[[int], bool]) -> int:
        """Expire the leases of this cluster's hosts on ``hostname`` whose process is gone."""
        ...

    def forget_host(self, owner: str) -> None:
        """The host stopped cleanly: it no longer counts as one of the cluster's hosts."""
        ...

    def stored(self, pk: int) -> StoredRows:
        """The stored node and attempt records of execution ``pk``."""
        ...

    def source(self, execution: ExecutionId) -> tuple[int, StoredRows]:
        """The row id and stored records of ``execution`` (the source of a ``recover``)."""
        ...

    def program(self, target: Identifier) -> Program:
        """The registered task or workflow ``target`` and its code bundle's digest."""
        ...

    def bundle(self, digest: str) -> bytes:
        """The code bundle ``digest`` (a ``.tar.gz``)."""
        ...

    def flush(
        self, owner: str, stores: Iterable[DbStateStore], catalog: DbCatalog | None = None
    ) -> set[int]:
        """Write what ``stores`` and ``catalog`` buffered, as one transaction; the ids of the
        executions whose lease ``owner`` lost (their writes are dropped)."""
        ...

    def fail(self, owner: str, pk: int, code: str, message: str) -> None:
        """Record a claimed execution that cannot go on FAILED (ABORTED if an abort was asked)
        and hand its lease back."""
        ...

    def catalog(self, store_url: str) -> DbCatalog:
        """The shared cache, as this host reaches it."""
        ...

    def signals(self) -> SignalSource:
        """Where gates find the values sent to them."""
        ...

    def children(self) -> ChildExecutions | None:
        """Where launch plan nodes start child executions (None: they run inline)."""
        ...
