"""One execution's calls of cached tasks: cache keys, lookups, and ``cache_serialize``.

A call of a task with a cache version first looks in the catalog: a hit whose blobs still exist
ends the node at once (``HIT``); a hit whose data is gone is deleted and counts as a miss. With
``cache_serialize``, identical calls run once: a second identical call in this execution waits for
the first, and a call that another execution holds the catalog's reservation for polls for that
execution's cache entry. When the call everyone waited for ends, the waiters take its outputs, or,
when it failed, the next of them runs it again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slipstream.model import CacheStatus, ExecutionId, NodePhase, TaskTemplate

from ._blobs import blobs_exist, fill_hashes
from ._catalog import cache_key, cache_key_prefix
from ._interfaces import Catalog

if TYPE_CHECKING:
    from ._ops import Engine
    from ._scope import NodeRun

__all__ = ["RESERVATION_POLL_S", "RESERVATION_S", "CachedCalls", "Start"]

RESERVATION_S = 300.0
"""How long a ``cache_serialize`` reservation holds without being renewed (a crashed holder)."""
RESERVATION_POLL_S = 0.1
"""How often a call waiting on another execution's reservation looks for its cache entry."""

Start = Callable[["NodeRun", TaskTemplate], None]
"""``start(nr, task)``: start a task node again (the executor's own way to start one)."""


class CachedCalls:
    """Cache keys, catalog lookups and ``cache_serialize`` waiters of one execution.

    ``owner`` names this executor in the catalog's reservations.
    """

    __slots__ = ("blob_store", "catalog", "id", "key_prefixes", "owner", "serial")

    def __init__(
        self, execution_id: ExecutionId, catalog: Catalog | None, blob_store: str, owner: str
    ) -> None:
        self.id = execution_id
        self.catalog = catalog
        self.blob_store = blob_store
        self.owner = owner
        self.key_prefixes: dict[tuple[str, str], bytes] = {}
        self.serial: dict[str, list[NodeRun]] = {}
        """The calls waiting for an identical call running here, by cache key."""

    def key(self, task: TaskTemplate, version: str, inputs: dict[str, Any]) -> str:
        """The cache key of a call, with the per-task part computed once per execution."""
        pk = (task.id.name, version)
        prefix = self.key_prefixes.get(pk)
        if prefix is None:
            prefix = cache_key_prefix(self.id.project, self.id.domain, task, version)
            self.key_prefixes[pk] = prefix
        return cache_key(self.id.project, self.id.domain, task, version, inputs, prefix)

    def look_up(
        self, ex: Engine, nr: NodeRun, task: TaskTemplate, version: str, start: Start
    ) -> bool:
        """Look ``nr``'s call up in the catalog (there must be one) and keep its key in
        ``nr.state``. True when no attempt must run now: the node succeeded from the cache, or it
        waits for an identical call (``start`` starts it again when that call lets it)."""
        catalog = self.catalog
        assert catalog is not None
        rec = nr.record
        inputs = nr.inputs or {}
        fill_hashes(inputs, task.interface, self.blob_store)
        key = self.key(task, version, inputs)
        nr.state = key
        hit = catalog.get(key)
        if hit is not None and blobs_exist(hit, task.interface):
            ex.node_succeeded(nr, hit, CacheStatus.HIT)
            return True
        if hit is not None:
            catalog.delete(key)  # its data is gone: a miss
        rec.cache = CacheStatus.MISS
        serialize = task.metadata.cache is not None and task.metadata.cache.serialize
        if serialize:
            waiters = self.serial.get(key)
            if waiters is not None:  # an identical call is running here: wait for it
                waiters.append(nr)
                if rec.phase is not NodePhase.WAITING:
                    ex.transition(nr, NodePhase.WAITING)
                return True
            if not catalog.reserve(key, self.owner, RESERVATION_S):
                # another execution runs the identical call: wait for its cache entry
                if rec.phase is not NodePhase.WAITING:
                    ex.transition(nr, NodePhase.WAITING)
                ex.add_timer(RESERVATION_POLL_S, lambda: start(nr, task))
                return True
            self.serial[key] = []
        return False

    def release(
        self,
        ex: Engine,
        nr: NodeRun,
        key: str,
        outputs: dict[str, Any] | None,
        start: Start,
    ) -> None:
        """The call of ``nr`` under ``key`` ended (with ``outputs``, or None when it failed): free
        its reservation and move the calls that waited for it on."""
        if key not in self.serial:
            return
        waiters = self.serial.pop(key)
        if self.catalog is not None:
            self.catalog.release(key, self.owner)
        for w in waiters:
            if outputs is not None:
                ex.node_succeeded(w, outputs, CacheStatus.HIT)
            else:  # the call everyone waited for failed: the next one runs it again
                start(w, w.task or nr.task)  # type: ignore[arg-type]
