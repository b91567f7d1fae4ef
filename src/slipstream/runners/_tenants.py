"""Workers bound to one project and domain at a time, in a pool whose workers are isolated.

Every worker runs as the same worker user, so what one attempt leaves in its process (modules,
objects, a secret's value in memory) must never meet an attempt of another project or domain. A
worker is therefore bound to the project and domain of the first attempt it takes, and serves
only those; an idle worker of another tenant is replaced by a fresh one (a start from the fork
server: a few milliseconds) before it takes an attempt of a new tenant. When every worker of its
group is busy with other tenants, an attempt waits here until one drains.

One tenant (the usual case, and every benchmark) pays one comparison per worker per attempt.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from slipstream.engine import AttemptRequest

from ._pool_worker import Worker, queue_len
from ._resources import Demand

__all__ = ["Tenants"]


class Tenants:
    """Which project and domain each worker serves; ``recycle`` replaces an idle worker by a
    fresh one and returns it."""

    def __init__(self, recycle: Callable[[Worker], Worker]) -> None:
        self._recycle = recycle
        self.waiting: deque[tuple[AttemptRequest, Demand | None]] = deque()
        """Attempts that wait for a worker of their own tenant, in submission order."""

    def pick(
        self, group: list[Worker], request: AttemptRequest, demand: Demand | None
    ) -> Worker | None:
        """The worker that takes ``request``; None when it waits (kept in :attr:`waiting`)."""
        w = self._pick(group, request)
        if w is None:
            self.waiting.append((request, demand))
        return w

    def place(
        self,
        group_of: Callable[[AttemptRequest], list[Worker]],
        enqueue: Callable[[Worker, AttemptRequest, Demand | None], None],
    ) -> bool:
        """Hand the waiting attempts that now have a worker to ``enqueue``; whether any did."""
        still: deque[tuple[AttemptRequest, Demand | None]] = deque()
        moved = False
        for request, demand in self.waiting:
            w = self._pick(group_of(request), request)
            if w is None:
                still.append((request, demand))
            else:
                enqueue(w, request, demand)
                moved = True
        self.waiting = still
        return moved

    def remove(self, match: Callable[[AttemptRequest], bool]) -> AttemptRequest | None:
        """Take the first waiting attempt ``match`` accepts off :attr:`waiting`."""
        for i, (request, _) in enumerate(self.waiting):
            if match(request):
                del self.waiting[i]
                return request
        return None

    def _pick(self, group: list[Worker], request: AttemptRequest) -> Worker | None:
        tenant = (request.execution.project, request.execution.domain)
        mine = [w for w in group if w.tenant == tenant]
        if len(mine) == len(group):
            return min(mine, key=queue_len)
        best = min(mine, key=queue_len) if mine else None
        if best is not None and not best.queue:
            return best
        free = [w for w in group if not w.queue and w.tenant != tenant]
        if free:
            w = next((x for x in free if x.tenant is None), None) or self._recycle(free[0])
            w.tenant = tenant
            return w
        return best
