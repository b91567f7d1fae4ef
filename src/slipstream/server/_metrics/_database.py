"""Execution counts read from the database at scrape time, so that they survive a restart.

``slipstream_executions_total{project,domain,phase}`` counts executions that reached a terminal
phase (SUCCEEDED, FAILED, ABORTED, TIMED_OUT); ``slipstream_executions{project,domain,phase}``
is how many are in each other phase now (QUEUED: the backlog), and
``slipstream_queued_oldest_seconds`` how long the oldest QUEUED execution has waited (0: none),
which grows when no engine host, in this process or another, takes work. Two queries over the
phase indexes answer them; their result is kept :data:`CACHE_SECONDS`, so that frequent scrapes (or
several scrapers) cost one query per window. Every server on one database reports the same
figures: aggregate them with ``max``, not ``sum``. Retention that deletes executions makes the
total drop, which Prometheus reads as a counter reset.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from slipstream.model import ExecutionPhase

from .._database import Database, ExecutionRow

__all__ = ["CACHE_SECONDS", "ExecutionCounts"]

CACHE_SECONDS = 10.0
_TERMINAL = frozenset(p.value for p in ExecutionPhase if p.terminal)
_QUEUED = ExecutionPhase.QUEUED.value
_log = logging.getLogger("slipstream.metrics")


class ExecutionCounts(Collector):
    """A collector of executions by project, domain and phase, from the ``executions`` table."""

    def __init__(self, db: Database, cache_s: float = CACHE_SECONDS) -> None:
        self.db = db
        self.cache_s = cache_s
        self._rows: list[tuple[str, str, str, int]] = []
        self._oldest: float | None = None
        self._until = 0.0
        self._lock = threading.Lock()

    def _counts(self) -> list[tuple[str, str, str, int]]:
        with self._lock:
            now = time.monotonic()
            if now < self._until:
                return self._rows
            t = ExecutionRow
            try:
                with self.db.engine.connect() as conn:
                    rows = conn.execute(
                        select(t.project, t.domain, t.phase, func.count()).group_by(
                            t.project, t.domain, t.phase
                        )
                    ).all()
                    oldest = conn.execute(
                        select(func.min(t.created_at)).where(t.phase == _QUEUED)
                    ).scalar()
            except Exception as e:  # the database away: the last figures, not a failed scrape
                _log.warning("counting executions for /metrics failed: %s", e)
                return self._rows
            self._rows = [(p, d, ph, int(n)) for p, d, ph, n in rows]
            self._oldest = None if oldest is None else float(oldest)
            self._until = now + self.cache_s
            return self._rows

    def collect(self) -> Iterator[Metric]:
        total = CounterMetricFamily(
            "slipstream_executions",
            "Executions that reached a terminal phase, by project, domain and phase (read from "
            "the database: survives restarts).",
            labels=("project", "domain", "phase"),
        )
        now = GaugeMetricFamily(
            "slipstream_executions_current",
            "Executions in a phase that is not terminal (QUEUED, RUNNING, ABORTING), by project, "
            "domain and phase.",
            labels=("project", "domain", "phase"),
        )
        for project, domain, phase, n in self._counts():
            (total if phase in _TERMINAL else now).add_metric((project, domain, phase), n)
        yield total
        yield now
        oldest = self._oldest
        yield GaugeMetricFamily(
            "slipstream_queued_oldest_seconds",
            "How long the oldest QUEUED execution has waited for an engine host (0: none waits).",
            value=0.0 if oldest is None else max(0.0, time.time() - oldest),
        )
