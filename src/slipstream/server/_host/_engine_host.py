"""The engine host: one loop that drives many executions over one shared runner.

Each turn of the loop: step every execution (start what became ready); write what changed (one
transaction for every execution, fenced by the leases), so that every attempt's RUNNING record —
and the results that made it ready — are durable before the attempt goes to the runner; hand
waiting attempts to the runner; take in results and hand each to its execution. Every few seconds it claims new
executions and renews its leases, and finds executions someone asked to abort.

A host that is killed loses nothing that was written: another host (or this one, restarted) claims
its executions once their leases expire and resumes them from their records — finished nodes keep
their results, attempts that were running count as lost (SYSTEM failures, retried).
"""

from __future__ import annotations

import logging
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from slipstream._processes import pid_alive
from slipstream.engine import AttemptResult, ChildExecutions, RetryPolicy, Runner
from slipstream.model import CompiledWorkflow, ExecutionPhase, ExecutionRecord, Identifier

from .._database import Database
from .._loops import Backoff, cause, is_transient
from .._metrics import NO_METRICS, Metrics
from .._plane_wire import HostInfo
from ._db_plane import DbPlane
from ._dispatch import Dispatch
from ._loader import Loaded, load_execution
from ._plane import ControlPlane
from ._store import DbStateStore

__all__ = ["EngineHost", "HostSettings"]

log = logging.getLogger("slipstream.engine_host")


@dataclass(frozen=True)
class HostSettings:
    """How an engine host runs."""

    home: Path
    store_url: str
    lease_s: float = 10.0
    """An execution whose host stops renewing is taken over this long after the last renewal."""
    claim_every_s: float = 0.25
    """How often to look for new executions (a server's API in the same process wakes the host
    at once when it creates or aborts one)."""
    max_executions: int = 1000
    system_retries: int = 3
    shutdown_grace_s: float = 10.0
    """Asked to stop, the host waits this long for running attempts to end before it hands them
    back as interrupted (run again by the next host, no retry spent)."""
    owner: str = ""
    """This host's name in leases (default: host name, pid and a random suffix)."""
    cluster: str = "local"
    """The compute cluster this host belongs to: it claims only executions routed there."""
    runner: str = "pool"
    """How it runs attempts, as the clusters page shows it (``pool``, ``ray://ADDRESS``)."""
    capacity: tuple[tuple[str, float], ...] = ()
    """What it offers (``cpus``, ``memory`` in bytes, ``gpus``), reported with each renewal."""
    attempts_per_worker: int = 16
    """Attempts handed to each worker ahead of their turn. A data plane, whose every flush is a
    round trip to the control plane, hands more (each turn then records more results)."""


class EngineHost:
    """Runs the executions of one cluster (together with any other hosts of it), reaching the
    control plane through ``plane`` (a database: the plane of ``settings.cluster`` on it)."""

    def __init__(
        self,
        plane: ControlPlane | Database,
        settings: HostSettings,
        runner: Runner,
        children: ChildExecutions | None = None,
    ) -> None:
        if isinstance(plane, Database):
            plane = DbPlane(
                plane, settings.cluster, store_url=settings.store_url, children=children
            )
        self.plane: ControlPlane = plane
        self.settings = settings
        self._hostname = socket.gethostname()
        self._started_at = time.time()
        self.owner = settings.owner or f"{self._hostname}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.dispatch = Dispatch(runner, self.owner, settings.attempts_per_worker)
        self.catalog = plane.catalog(settings.store_url)
        self.signals = plane.signals()
        self.retry_policy = RetryPolicy(system_retries=settings.system_retries)
        self.children = plane.children()
        """Where launch plan nodes start child executions (None: they run inline)."""
        self.active: dict[int, Loaded] = {}
        self._programs: dict[Identifier, tuple[CompiledWorkflow, str]] = {}
        self._by_id: dict[object, Loaded] = {}
        self._stopping = threading.Event()
        self.wake = threading.Event()
        """Set (by the API in the same process) when an execution was created or aborted."""
        self._next_claim = 0.0
        self._next_renew = 0.0
        self.on_finished: Callable[[ExecutionRecord], None] | None = None
        self.backoff = Backoff("the engine host", log)
        self._load_faults: dict[int, int] = {}
        self.metrics = NO_METRICS

    def count_into(self, metrics: Metrics, alive: Callable[[], bool]) -> None:
        """Count this host's attempts and cache lookups into ``metrics``; its gauges read the
        runner (``alive``: whether the host's loop runs)."""
        self.metrics = self.catalog.metrics = metrics
        metrics.watch_host(alive, lambda: self.dispatch.at_runner, self._slots)

    # -- the loop -----------------------------------------------------------------------------

    def serve(self, beat: Callable[[], None] | None = None) -> None:
        """Run until :meth:`stop`; then hand the leases back for another host to take.
        ``beat`` is called after each turn that went through (a supervisor's heartbeat).

        A turn that fails on a transient fault (the database or the store away for a moment)
        is tried again after a backoff, with what it buffered kept; anything else raises (the
        supervisor restarts the loop).
        """
        try:
            while not self._stopping.is_set():
                try:
                    self.turn()
                except Exception as e:
                    if not is_transient(e):
                        raise
                    self._stopping.wait(self.backoff.failed(e))
                    continue
                self.backoff.succeeded()
                if beat is not None:
                    beat()
        finally:
            self.shutdown()

    def stop(self) -> None:
        """Ask :meth:`serve` to return (from another thread or a signal handler)."""
        self._stopping.set()
        self.wake.set()

    def turn(self) -> None:
        """One turn of the loop (see the module docstring)."""
        now = time.monotonic()
        woke = self.wake.is_set()
        if woke:
            self.wake.clear()
        if woke or now >= self._next_claim:
            more = self._claim()
            self._next_claim = now + (0.0 if more else self.settings.claim_every_s)
        if now >= self._next_renew:
            self._renew()
            self._next_renew = now + self.settings.lease_s / 3
        elif woke:
            self._aborts()
        timeout = min(self.settings.claim_every_s, max(0.0, self._next_claim - now))
        for loaded in list(self.active.values()):
            ex = loaded.executor
            if ex.finished:
                continue
            try:
                t = ex.step()
            except Exception as e:
                log.exception("execution %s: engine error", ex.id)
                ex.crash(e)
                continue
            if t is not None:
                timeout = min(timeout, t)
        self._flush()
        self.dispatch.dispatch()
        self._retire()
        if self.dispatch.at_runner:
            results = self.dispatch.wait(timeout)
        else:
            self.wake.wait(timeout)
            results = []
        self._hand_over(results)
        # the results are written by the next turn's flush, in the same transaction as the
        # RUNNING records of what they made ready, before any of that reaches the runner

    # -- leases -------------------------------------------------------------------------------

    def _claim(self) -> bool:
        """Take a few more executions when this host has spare room; True if it took a full
        batch (more may be waiting: look again next turn).

        A host whose runner already has attempts waiting takes none, and an idle one takes a
        batch at a time, so that several hosts on one database share the work instead of the
        first one to look taking everything.
        """
        if self.dispatch.waiting:
            return False
        room = min(self.settings.max_executions - len(self.active), max(1, self.dispatch.room // 4))
        if room <= 0:
            return False
        claimed = self.plane.claim(self.owner, self.settings.lease_s, room)
        pks = [c.pk for c in claimed]
        for found in claimed:
            pk = found.pk
            if pk in self.active:
                continue
            try:
                loaded = load_execution(
                    self.plane,
                    found,
                    dispatch=self.dispatch,
                    catalog=self.catalog,
                    signals=self.signals,
                    store_url=self.settings.store_url,
                    home=self.settings.home,
                    retry_policy=self.retry_policy,
                    programs=self._programs,
                    children=self.children,
                )
            except Exception as e:
                if self._load_again(pk, e):  # not the execution's fault: load it again later
                    self._release_quietly([p for p in pks if p not in self.active])
                    raise
                log.warning("execution %s cannot be loaded: %s", pk, cause(e))
                self._fail_stored(pk, "load_failed", f"cannot load the execution: {cause(e)}")
                continue
            self._load_faults.pop(pk, None)
            ex = loaded.executor
            loaded.store.metrics = self.metrics
            self.active[pk] = loaded
            self._by_id[ex.id] = loaded
            aborting = ex.record.phase is ExecutionPhase.ABORTING
            try:
                ex.begin()
                if aborting:
                    ex.abort("aborted on request")
            except Exception as e:
                log.exception("execution %s: engine error", ex.id)
                ex.crash(e)
        return len(pks) == room

    def _load_again(self, pk: int, e: Exception) -> bool:
        """Whether execution ``pk``, which failed to load with ``e``, is to be loaded again
        later (the turn backs off) rather than failed. A database fault always is (the database
        comes back); another transient fault (a store error) is, up to three times in a row, so
        that one execution whose blobs stay unreadable cannot hold the loop back for ever."""
        if not is_transient(e):
            return False
        if isinstance(e, (SQLAlchemyError, sqlite3.Error, ConnectionError)):
            return True  # the database, or the control plane's API, is away
        faults = self._load_faults[pk] = self._load_faults.get(pk, 0) + 1
        if faults <= 3:
            return True
        del self._load_faults[pk]
        return False

    def _renew(self) -> None:
        """Renew the leases held, and report this host (the cluster's heartbeat) even when it
        holds none; drop those lost, abort those someone asked to."""
        try:
            self.plane.expire_dead_local(self._hostname, pid_alive)
        except Exception as e:
            if is_transient(e):
                raise
            log.exception("looking for dead engine hosts on this machine failed")
        pks = list(self.active)
        reply = self.plane.renew(self.owner, pks, self.settings.lease_s, self.host_info())
        for pk in reply.lost:
            self._drop(pk)
        for pk in reply.aborting:
            loaded = self.active.get(pk)
            if loaded is not None and not loaded.executor.finished:
                loaded.executor.abort("aborted on request")

    def host_info(self) -> HostInfo:
        """This host as its cluster's page shows it."""
        s = self.settings
        return HostInfo(
            hostname=self._hostname,
            runner=s.runner,
            capacity={
                "slots": float(self._slots()),
                **dict(s.capacity),
            },
            running=self.dispatch.at_runner,
            executions=len(self.active),
            lease_s=s.lease_s,
            store_url=s.store_url,
            started_at=self._started_at,
        )

    def _slots(self) -> int:
        """Attempts the runner runs at once: a pool's workers, another runner's capacity."""
        runner = self.dispatch.runner
        workers = getattr(runner, "workers", None)
        return workers if isinstance(workers, int) else runner.capacity

    def _aborts(self) -> None:
        running = [pk for pk in self.active if not self.active[pk].executor.finished]
        for pk in self.plane.aborting(self.owner, running):
            self.active[pk].executor.abort("aborted on request")

    def _flush(self) -> None:
        stores: list[DbStateStore] = [a.store for a in self.active.values()]
        try:
            lost = self.plane.flush(self.owner, stores, self.catalog)
        except Exception as e:
            if is_transient(e):  # the buffers are kept: the turn is tried again
                raise
            log.warning("writing execution records failed (%s); writing each alone", cause(e))
            lost = self._flush_each(stores)
        for pk in lost:
            self._drop(pk)

    def _flush_each(self, stores: list[DbStateStore]) -> set[int]:
        """Write each execution's records in a transaction of its own; an execution whose
        records the database refuses fails alone (the others are written)."""
        lost: set[int] = set()
        for store in stores:
            try:
                lost |= self.plane.flush(self.owner, [store])
            except Exception as e:
                if is_transient(e):
                    raise
                store.take()  # what the database refused is dropped, not retried forever
                self._poisoned(
                    store.execution_pk,
                    "unrecordable",
                    f"a record of the execution cannot be written: {cause(e)}",
                )
        try:
            self.plane.flush(self.owner, [], self.catalog)
        except Exception as e:
            if is_transient(e):
                raise
            self.catalog.take()
            log.warning("cache entries dropped, the database refused them: %s", cause(e))
        return lost

    def _poisoned(self, pk: int, code: str, message: str) -> None:
        """Stop driving an execution that cannot go on, and record it FAILED with why."""
        loaded = self.active.pop(pk, None)
        if loaded is not None:
            self._by_id.pop(loaded.executor.id, None)
            self.dispatch.forget(loaded.executor.id)
        log.warning("execution %s fails: %s", pk, message)
        self._fail_stored(pk, code, message)

    def _drop(self, pk: int) -> None:
        """Stop driving an execution whose lease another host now holds."""
        loaded = self.active.pop(pk, None)
        if loaded is None:
            return
        self._by_id.pop(loaded.executor.id, None)
        self.dispatch.forget(loaded.executor.id)
        log.warning("lost the lease of execution %s", loaded.executor.id)

    def _retire(self) -> None:
        done = [
            pk
            for pk, a in self.active.items()
            if a.executor.finished and not a.store.dirty and not self._inflight(a)
        ]
        if not done:
            return
        self.plane.release(self.owner, done)
        for pk in done:
            loaded = self.active.pop(pk)
            self._by_id.pop(loaded.executor.id, None)
            if self.on_finished is not None:
                self.on_finished(loaded.executor.record)

    def _inflight(self, loaded: Loaded) -> bool:
        return loaded.executor.inflight > 0

    def _fail_stored(self, pk: int, code: str, message: str) -> None:
        """Record a claimed execution FAILED (ABORTED if an abort was asked) with ``message``
        and hand its lease back (see :meth:`ControlPlane.fail`)."""
        self.plane.fail(self.owner, pk, code, message)

    def _release_quietly(self, pks: list[int]) -> None:
        """Hand leases back if the database lets us (else they expire)."""
        if not pks:
            return
        try:
            self.plane.release(self.owner, pks)
        except Exception as e:
            log.warning("handing back %d leases failed: %s", len(pks), cause(e))

    def shutdown(self) -> None:
        """Write what is buffered and give every lease back (another host resumes them).

        Asked to stop (:meth:`stop`: a SIGTERM, a routine restart), the host first claims nothing
        more and starts no more attempts, waits up to ``shutdown_grace_s`` for the running ones to
        end and records them, then records the rest ``INTERRUPTED`` (the next host runs them again,
        no retry budget spent) and those that never started as never started.
        """
        try:
            if self._stopping.is_set():
                self._drain(self.settings.shutdown_grace_s)
        except Exception:
            log.exception("ending the running attempts failed; the next host counts them lost")
        try:
            self._flush()
        finally:
            pks = list(self.active)
            for loaded in self.active.values():
                self.dispatch.forget(loaded.executor.id)
            if pks:
                self.plane.release(self.owner, pks)
            self.active.clear()
            self._by_id.clear()
            try:
                self.plane.forget_host(self.owner)
            except Exception as e:  # its heartbeat ages out instead
                log.warning("taking this host off its cluster's list failed: %s", cause(e))

    def _drain(self, grace_s: float) -> None:
        """Take results for up to ``grace_s`` seconds (writing each batch at once), then
        interrupt what still runs; see :meth:`shutdown`."""
        dispatch = self.dispatch
        deadline = time.monotonic() + grace_s
        while dispatch.at_runner:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self._hand_over(dispatch.wait(min(left, 0.25)))
            self._flush()
        results, unstarted = dispatch.interrupt()
        self._hand_over(results)
        for execution, node, attempt in unstarted + dispatch.take_waiting():
            owner = self._by_id.get(execution)
            if owner is not None:
                owner.executor.unstarted(node, attempt)

    def _hand_over(self, results: list[AttemptResult]) -> None:
        """Give each result to the execution it belongs to (one that fails fails alone)."""
        for r in results:
            owner = self._by_id.get(r.execution) if r.execution is not None else None
            if owner is None:
                continue
            try:
                owner.executor.on_result(r)
            except Exception as e:
                log.exception("execution %s: engine error", owner.executor.id)
                owner.executor.crash(e)
