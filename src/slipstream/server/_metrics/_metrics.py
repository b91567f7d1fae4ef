"""What a server process counts, in Prometheus' terms: one :class:`Metrics` per process.

The parts of the server count where the events happen (the engine host's records, the catalog's
lookups, the scheduler's ticks, the notifier's deliveries, the API's requests) by calling one
method here; :meth:`Metrics.render` writes everything in Prometheus' text format for
``GET /metrics``. Each process has a registry of its own (never ``prometheus_client``'s global
one), so that several servers in one process, as in tests, never mix their figures.

The hooks sit on the engine host's hot path (thousands of attempts a second), where
``prometheus_client``'s locked counters and label lookups cost several microseconds an attempt.
So the figures are plain integers in dictionaries, each written by one thread (the engine host's
loop, the API's event loop, the scheduler's, the notifier's), and turned into metric families
only when Prometheus scrapes (:meth:`Metrics.collect`): an attempt costs about a microsecond.

Labels are bounded: project, domain, phase, error kind, result, route template and method; never
an execution's name or a raw path. A server started with metrics off (``metrics = false``) holds
a :class:`Metrics` whose methods return at once.

What counts since the process started (attempts, durations, cache lookups, requests) restarts at
zero with it, which Prometheus' ``rate()`` expects of a counter. Executions are counted from the
database at scrape time instead (:mod:`._database`): a restart loses nothing of them, and every
server on one database reports the same totals.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from slipstream.model import AttemptPhase, AttemptRecord, ErrorKind, ExecutionId

__all__ = ["CONTENT_TYPE", "NO_METRICS", "Histogram", "Metrics"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
"""Prometheus' text exposition format."""

_DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900,
                     3600, 4 * 3600)  # fmt: skip
_WAIT_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900)
_LAG_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600)
_HTTP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
_KINDS = frozenset(k.value for k in ErrorKind)
_RUNNING, _QUEUED = AttemptPhase.RUNNING, AttemptPhase.QUEUED
_SUCCEEDED, _INTERRUPTED = AttemptPhase.SUCCEEDED, AttemptPhase.INTERRUPTED


class Histogram:
    """Counts of observations per bucket (upper bounds ``bounds``, then +Inf) and their sum."""

    __slots__ = ("bounds", "counts", "sum")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)
        self.sum = 0.0

    def observe(self, value: float) -> None:
        """Count ``value`` in the first bucket whose bound is at least ``value``."""
        self.counts[bisect_left(self.bounds, value)] += 1
        self.sum += value

    def cumulative(self) -> list[tuple[str, float]]:
        """Prometheus' buckets: ``(le, observations up to le)``, ending with ``+Inf``."""
        counts, total, out = list(self.counts), 0, []
        for bound, n in zip((*map(repr, map(float, self.bounds)), "+Inf"), counts, strict=True):
            total += n
            out.append((bound, float(total)))
        return out


class Metrics(Collector):
    """The counters, gauges and histograms of one server process (``enabled=False``: none)."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.registry = CollectorRegistry(auto_describe=False)
        self._attempts: dict[tuple[str, str, str, str], int] = {}
        self._durations: dict[tuple[str, str], Histogram] = {}
        self._queue_wait = Histogram(_WAIT_BUCKETS)
        self._cache = {"hit": 0, "miss": 0, "error": 0}
        self._lag = Histogram(_LAG_BUCKETS)
        self._notify_failed: dict[str, int] = {}
        self._http: dict[tuple[str, str, str], int] = {}
        self._http_latency: dict[tuple[str, str], Histogram] = {}
        self._host: tuple[Callable[[], bool], Callable[[], int], Callable[[], int]] | None = None
        if enabled:
            self.registry.register(self)

    # -- hooks (each a no-op when metrics are off) -----------------------------------------------

    def attempt_saved(
        self, execution: ExecutionId, record: AttemptRecord, since: dict[tuple[str, int], float]
    ) -> None:
        """The engine host saved an attempt's record. ``since`` is the execution's own map of
        when its running attempts were made ready (the RUNNING record's time), so that an
        attempt's end tells how long it waited for a worker."""
        if not self.enabled:
            return
        phase = record.phase
        if phase is _RUNNING:
            since[(record.node, record.number)] = record.started_at or time.time()
            return
        ready = since.pop((record.node, record.number), None)
        if phase is _QUEUED:  # handed back unstarted: it waits again
            return
        started, ended = record.started_at, record.ended_at
        if ready is not None and started is not None and phase is not _INTERRUPTED:
            wait = started - ready if started > ready else 0.0
            hist = self._queue_wait  # observe(), inlined: this runs for every attempt
            hist.counts[bisect_left(hist.bounds, wait)] += 1
            hist.sum += wait
        kind = "none"
        if record.error is not None and phase is not _SUCCEEDED:
            kind = record.error.kind if record.error.kind in _KINDS else "OTHER"
        project, domain = execution.project, execution.domain
        key = (project, domain, phase, kind)  # the phase is a str (``.value`` costs more)
        attempts = self._attempts
        attempts[key] = attempts.get(key, 0) + 1
        if started is not None and ended is not None and ended >= started:
            ran = ended - started
            durations = self._durations.get((project, domain))
            if durations is None:
                durations = self._durations[(project, domain)] = Histogram(_DURATION_BUCKETS)
            durations.counts[bisect_left(durations.bounds, ran)] += 1
            durations.sum += ran

    def cache_lookup(self, result: str) -> None:
        """A cache lookup ended: ``hit``, ``miss`` or ``error``."""
        if self.enabled:
            self._cache[result] += 1

    def schedule_lag(self, seconds: float) -> None:
        """A scheduled execution was created ``seconds`` after its tick's time."""
        if self.enabled:
            self._lag.observe(max(0.0, seconds))

    def notification_failed(self, kind: str) -> None:
        """A notification (``kind``: email, slack, webhook, ...) was given up."""
        if self.enabled:
            kind = kind[:32]
            self._notify_failed[kind] = self._notify_failed.get(kind, 0) + 1

    def request(self, route: str, method: str, status: int, seconds: float) -> None:
        """A request was answered (from the API's event loop)."""
        if not self.enabled:
            return
        key = (route, method, str(status))
        self._http[key] = self._http.get(key, 0) + 1
        hist = self._http_latency.get(key[:2])
        if hist is None:
            hist = self._http_latency[key[:2]] = Histogram(_HTTP_BUCKETS)
        hist.observe(seconds)

    def watch_host(
        self, alive: Callable[[], bool], running: Callable[[], int], slots: Callable[[], int]
    ) -> None:
        """Read this process's engine host's state at each scrape."""
        self._host = (alive, running, slots)

    # -- exposition -------------------------------------------------------------------------------

    def render(self) -> bytes:
        """Every metric in Prometheus' text format."""
        return generate_latest(self.registry)

    def collect(self) -> Iterator[Metric]:
        """The metric families as they are now (called by the registry at each scrape)."""
        attempts = CounterMetricFamily(
            "slipstream_task_attempts",
            "Task attempts that ended, by project, domain, result (the attempt's phase) and "
            "error kind (none for a success).",
            labels=("project", "domain", "result", "kind"),
        )
        for labels, n in list(self._attempts.items()):
            attempts.add_metric(labels, n)
        yield attempts
        yield _histograms(
            "slipstream_attempt_duration_seconds",
            "How long task attempts ran on a worker, from their start to their end.",
            ("project", "domain"),
            self._durations,
        )
        yield _histograms(
            "slipstream_queue_wait_seconds",
            "How long an attempt waited between the engine making it ready and a worker "
            "starting it.",
            (),
            {(): self._queue_wait},
        )
        cache = CounterMetricFamily(
            "slipstream_cache_lookups",
            "Cache lookups of the engine host by result (hit, miss, error: taken as a miss).",
            labels=("result",),
        )
        for result, n in list(self._cache.items()):
            cache.add_metric((result,), n)
        yield cache
        yield _histograms(
            "slipstream_schedule_lag_seconds",
            "How late each scheduled execution was created after its tick's time.",
            (),
            {(): self._lag},
        )
        failed = CounterMetricFamily(
            "slipstream_notifications_failed",
            "Notifications given up after their last try, by kind.",
            labels=("kind",),
        )
        for kind, n in list(self._notify_failed.items()):
            failed.add_metric((kind,), n)
        yield failed
        http = CounterMetricFamily(
            "slipstream_http_requests",
            "API and console requests by route template, method and status code.",
            labels=("route", "method", "status"),
        )
        for labels3, n in list(self._http.items()):
            http.add_metric(labels3, n)
        yield http
        yield _histograms(
            "slipstream_http_request_duration_seconds",
            "How long requests took to answer, by route template and method.",
            ("route", "method"),
            self._http_latency,
        )
        alive, running, slots = self._host or (lambda: False, lambda: 0, lambda: 0)
        for name, doc, value in (
            ("slipstream_engine_hosts",
             "Engine hosts alive in this process (0: its loop died, or it runs without one).",
             1.0 if alive() else 0.0),
            ("slipstream_running_attempts",
             "Attempts this process's engine host has handed to its runner and not heard back "
             "from.", float(running())),
            ("slipstream_worker_slots",
             "How many attempts this process's runner runs at once.", float(slots())),
        ):  # fmt: skip
            yield GaugeMetricFamily(name, doc, value=value)


def _histograms(
    name: str, doc: str, labels: tuple[str, ...], found: Mapping[Any, Histogram]
) -> Metric:
    family = HistogramMetricFamily(name, doc, labels=labels)
    for values, hist in list(found.items()):
        family.add_metric(list(values), hist.cumulative(), hist.sum)
    return family


NO_METRICS = Metrics(enabled=False)
"""What a part counts into until its server gives it its own: nothing."""
