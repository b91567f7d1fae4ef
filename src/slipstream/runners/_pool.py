"""The local runner: a pool of warm worker processes on this machine.

This file is the pool's scheduling: which worker takes an attempt, when held attempts start, what
happens to a worker that fails. The handle on one worker process is ``_pool_worker``, the results
the pool makes up for attempts that cannot report their own are ``_runner_results``, and the
accounting of resources is ``_resources.Capacity``.

Workers are started once and stay warm, so an attempt costs a message each way instead of a process
start. Each worker may hold ``depth`` attempts at once (one running, the rest queued in its pipe),
which hides the round trip on wide fan-outs.

Resources: each attempt's CPU, memory and GPU *requests* are accounted against the machine's
capacity (detected, or given to the constructor); an attempt that does not fit waits inside the
runner, in submission order, until enough running ones finish, and one that asks more than the
whole machine fails at once with a USER error (``unschedulable``). Attempts that ask nothing are
never held back.

Failures and their kinds: a worker enforces task timeouts itself (SIGALRM, kind ``TIMEOUT``) and
memory limits (kind ``OOM``, see ``_memory``; the worker is then retired and replaced). The pool
kills and replaces a worker that does not answer long after its deadline (``TIMEOUT``) or that dies
(``worker_lost``, naming the signal or exit code: ``USER`` when the task's process crashed or exited
by itself, ``SYSTEM`` when it was killed from outside). A cancelled attempt ends ``ABORTED``; the
attempts that shared its worker (never started) are quietly submitted again. When the engine host
shuts down, :meth:`LocalRunner.interrupt` ends what runs ``INTERRUPTED`` and hands back what never
started.

Environments: an attempt of a task with an ``ImageSpec`` waits (parked) while its environment is
built in a background thread (``_envs``), then runs in a small group of workers started with that
environment's interpreter (``_env_workers``); attempts of other tasks never wait for a build.

Lifetime: workers die with the process that owns the pool (``_lifetime``), and :meth:`close` kills
busy workers at once instead of waiting for their attempts.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
import time
from collections import deque
from typing import Any

import msgspec

from slipstream.engine import AttemptRequest, AttemptResult, interrupted
from slipstream.errors import (
    SlipstreamError,
    TaskOutOfMemoryError,
    TaskTimeoutError,
    UnschedulableError,
    UnsendableError,
    WorkerLostError,
)
from slipstream.model import ErrorKind, ExecutionId

from ._confine import confine
from ._env_workers import PoolEnv
from ._memory import OOM_EXIT_CODE
from ._pool_worker import Slot, Worker, how_it_ended, queue_len
from ._privileges import (
    IsolatingContext,
    StoreWalls,
    WorkerIsolation,
    isolated_request,
    refuse_local_sources,
)
from ._resources import Capacity, Demand, demand_of
from ._runner_results import aborted, failure, log_of, what
from ._tenants import Tenants

__all__ = ["LocalRunner"]

_GRACE_S = 5.0


_PLATFORM_SIGNALS = frozenset({signal.SIGKILL, signal.SIGTERM, signal.SIGINT, signal.SIGHUP})
"""Signals that end a worker from outside (the kernel's OOM killer, an operator, a shutdown)."""


_UNKNOWN_EXIT = 255
"""What multiprocessing reports for a fork-server child whose status it could not learn (the
fork server itself went): nothing says the task did it."""


def _own_crash(exitcode: int | None) -> bool:
    """Whether a worker that died ended by its task's own doing: a fault signal (SIGSEGV,
    SIGABRT, SIGBUS...) or an exit of its own (``os._exit``), not a kill from outside."""
    if exitcode is None or exitcode == _UNKNOWN_EXIT:
        return False
    if exitcode >= 0:
        return True
    return -exitcode not in _PLATFORM_SIGNALS


class LocalRunner:
    """A pool of ``workers`` warm processes (default: one per CPU).

    ``cpus``, ``memory`` (bytes or a quantity such as ``"16Gi"``) and ``gpus`` override the
    machine's detected capacity against which the attempts' resource requests are accounted.
    With ``isolation`` (a server's pool) the workers are not the server: see ``_privileges``
    (their user, directory and environment; secrets granted per attempt) and ``_confine`` (what
    is taken from their results).
    """

    name = "local"

    def __init__(
        self,
        workers: int | None = None,
        code_root: str = "",
        depth: int = 16,
        *,
        cpus: float | None = None,
        memory: int | str | None = None,
        gpus: int | None = None,
        isolation: WorkerIsolation | None = None,
    ) -> None:
        n = workers or os.cpu_count() or 1
        if n < 1:
            raise ValueError("workers must be >= 1")
        self._capacity = Capacity(cpus, memory, gpus)
        self._held: deque[tuple[AttemptRequest, Demand]] = deque()
        method = "fork" if threading.active_count() == 1 and sys.platform != "win32" else "spawn"
        self._ctx: Any = (
            multiprocessing.get_context(method)
            if isolation is None
            else IsolatingContext(isolation)
        )
        self._isolation = isolation
        self._walls = StoreWalls.of(isolation)
        self._tenants = Tenants(self._recycle) if isolation is not None else None
        self._code_root = code_root or (sys.path[0] if sys.path and sys.path[0] else os.getcwd())
        self._depth = max(1, depth)
        self._workers = [Worker(self._ctx, i, self._code_root) for i in range(n)]
        self._active = list(self._workers)  # the workers that take new attempts
        self._next_index = n
        self._encoder = msgspec.msgpack.Encoder()
        self._decoder = msgspec.msgpack.Decoder(list[AttemptResult])
        self._failed: list[AttemptResult] = []
        self._envs: dict[str, PoolEnv] = {}
        self._env_active: dict[str, list[Worker]] = {}
        self._env_workers = min(n, 2)
        self._building: dict[str, Any] = {}
        """Environments being built, by key: the builder's outcome (a path or an error) once
        done; the builder thread writes to ``_wake_w`` when it is."""
        self._wake_r, self._wake_w = -1, -1

    @property
    def capacity(self) -> int:
        return len(self._active) * self._depth

    @property
    def workers(self) -> int:
        """How many worker processes take new attempts."""
        return len(self._active)

    @property
    def resources(self) -> dict[str, float]:
        """The machine's capacity as accounted: ``cpu`` cores, ``mem`` bytes, ``gpu`` count."""
        c = self._capacity
        return {"cpu": c.cpus, "mem": float(c.memory), "gpu": float(c.gpus())}

    @property
    def held(self) -> int:
        """How many submitted attempts wait for resources."""
        return len(self._held)

    @property
    def user_code_apart(self) -> bool:
        """Whether its workers run as another user than the engine's process: user code must
        then not run in the engine's process (eager bodies)."""
        return self._isolation is not None and self._isolation.switches_user

    # -- submitting ----------------------------------------------------------------------------

    def submit(self, request: AttemptRequest) -> None:
        if self._isolation is not None:  # its folder opened, its secrets granted
            try:
                request = isolated_request(self._isolation, self._walls, request)
            except SlipstreamError as e:
                self._failed.append(failure(request, e))
                return
        if request.task.environment_spec is not None and self._env_of(request) is None:
            return  # parked while its environment builds, or failed
        r, lim = request.task.requests, request.task.limits
        if (
            r.cpu is None
            and r.mem is None
            and r.gpu is None
            and lim.cpu is None
            and lim.mem is None
            and lim.gpu is None
        ):  # asks nothing: the common case, straight to the least busy worker
            if self._tenants is not None:  # a worker of its own project and domain
                self._dispatch(request, None)
                return
            w = min(self._group(request), key=queue_len)
            w.queue.append(Slot(request, None))
            w.outbox.append(request)
            return
        try:
            d = demand_of(request.task)
        except SlipstreamError as e:
            self._failed.append(failure(request, e))
            return
        if d is not None:
            why = self._capacity.too_big(request.task.id.name, d)
            if why:
                self._failed.append(failure(request, UnschedulableError(why)))
                return
            if self._held or not self._capacity.fits(d):
                self._held.append((request, d))
                return
            self._capacity.take(d, 1)
        self._dispatch(request, d)

    def _group(self, request: AttemptRequest) -> list[Worker]:
        spec = request.task.environment_spec
        if spec is None:
            return self._active
        from ._envs import env_key

        return self._env_active[env_key(spec)]

    # -- environments --------------------------------------------------------------------------

    def _env_of(self, request: AttemptRequest) -> PoolEnv | None:
        """The ready environment of ``request``'s task; None when the attempt was parked until
        it is built, or failed because it cannot be."""
        from ._envs import env_key, refuse_image_only

        spec = request.task.environment_spec
        assert spec is not None
        key = env_key(spec)
        env = self._envs.get(key)
        if env is None:
            env = self._envs[key] = PoolEnv(key, dict(spec.env))
            try:
                refuse_image_only(spec, "the local pool", request.task.id.name)
                if self._isolation is not None:  # built by the server: no options, no paths
                    refuse_local_sources(spec, request.task.id.name)
            except SlipstreamError as e:
                env.error = e
            else:
                self._start_build(env, spec)
        if env.error is not None:
            self._failed.append(failure(request, env.error))
            return None
        if not env.python:
            env.parked.append(request)
            return None
        return env

    def _start_build(self, env: PoolEnv, spec: Any) -> None:
        from ._envs import build_env

        if self._wake_r < 0:
            self._wake_r, self._wake_w = os.pipe()

        def say(line: str) -> None:
            with contextlib.suppress(Exception):
                sys.stderr.write(f"slipstream: {line}\n")
                sys.stderr.flush()

        def build() -> None:
            try:
                outcome: Any = str(build_env(spec, say).python)
            except SlipstreamError as e:
                outcome = e
            except Exception as e:  # a failure of the build itself, named for the user
                from slipstream.errors import EnvironmentBuildError

                outcome = EnvironmentBuildError(f"environment {env.key} could not be built: {e}")
            self._building[env.key] = outcome
            with contextlib.suppress(OSError):
                os.write(self._wake_w, b"x")

        self._building[env.key] = None
        threading.Thread(target=build, name=f"env-build-{env.key[:8]}", daemon=True).start()

    def _take_built(self) -> None:
        """Start the workers of environments whose build ended, and hand them their attempts."""
        for key, outcome in list(self._building.items()):
            if outcome is None:
                continue
            del self._building[key]
            env = self._envs[key]
            parked, env.parked = env.parked, []
            if isinstance(outcome, SlipstreamError):
                env.error = outcome
                self._failed.extend(failure(r, outcome) for r in parked)
                continue
            env.python = outcome
            group = []
            for _ in range(self._env_workers):
                group.append(Worker(self._ctx, self._next_index, self._code_root, env))
                self._next_index += 1
            self._workers.extend(group)
            self._env_active[key] = group
            for r in parked:
                self.submit(r)

    def _refresh_active(self) -> None:
        self._active = [x for x in self._workers if not x.retiring and x.env is None]
        groups: dict[str, list[Worker]] = {}
        for x in self._workers:
            if not x.retiring and x.env is not None:
                groups.setdefault(x.env.key, []).append(x)
        self._env_active = groups

    def _dispatch(self, request: AttemptRequest, d: Demand | None) -> None:
        if self._tenants is None:
            w = min(self._group(request), key=queue_len)
        else:
            picked = self._tenants.pick(self._group(request), request, d)
            if picked is None:
                return  # waits for a worker of its project and domain
            w = picked
        self._enqueue(w, request, d)

    def _enqueue(self, w: Worker, request: AttemptRequest, d: Demand | None) -> None:
        w.queue.append(Slot(request, d))
        w.outbox.append(request)

    def _recycle(self, w: Worker) -> Worker:
        """A fresh worker in place of idle ``w`` (for an attempt of another tenant)."""
        i = self._workers.index(w)
        self._replace(w)
        return self._workers[i]

    def _release(self, slot: Slot) -> None:
        if slot.demand is not None:
            self._capacity.take(slot.demand, -1)

    def _admit_held(self) -> bool:
        """Dispatch held attempts, in order, while the first one fits."""
        moved = False
        while self._held and self._capacity.fits(self._held[0][1]):
            request, d = self._held.popleft()
            self._capacity.take(d, 1)
            self._dispatch(request, d)
            moved = True
        return moved

    def _flush(self) -> None:
        """Send each worker what was submitted for it since the last flush, as one message."""
        for w in list(self._workers):
            if w.outbox:
                batch, w.outbox = w.outbox, []
                data: bytes | None
                try:
                    data = self._encoder.encode(batch)
                except (TypeError, ValueError, OverflowError, msgspec.EncodeError):
                    data = self._encode_sendable(w, batch)
                if data is None:
                    continue
                try:
                    w.conn.send_bytes(data)
                except OSError:
                    self._failed.extend(self._lost(w))

    def _encode_sendable(self, w: Worker, batch: list[AttemptRequest]) -> bytes | None:
        """Encode the attempts of ``batch`` that can be; each one that cannot (an int past 64
        bits in its inputs) fails alone, and is taken off ``w``'s queue."""
        sendable = []
        for req in batch:
            try:
                self._encoder.encode(req)
            except (TypeError, ValueError, OverflowError, msgspec.EncodeError) as e:
                for slot in [s for s in w.queue if s.request is req]:
                    w.queue.remove(slot)
                    self._release(slot)
                why = f"{what(req)} cannot be sent to a worker: {type(e).__name__}: {e}"
                self._failed.append(failure(req, UnsendableError(why), worker=w.name))
            else:
                sendable.append(req)
        return self._encoder.encode(sendable) if sendable else None

    # -- results -------------------------------------------------------------------------------

    def wait(self, timeout: float | None) -> list[AttemptResult]:
        if self._building:
            self._take_built()
        if self._held:  # room may have been made outside wait (a cancel)
            self._admit_held()
        if self._tenants is not None and self._tenants.waiting:
            self._tenants.place(self._group, self._enqueue)
        self._flush()
        if self._failed:
            out, self._failed = self._failed, []
            return out
        busy: dict[Any, Worker] = {w.conn: w for w in self._workers if w.queue}
        if not busy and not self._building:
            return []
        deadline = self._deadline(busy.values())
        if timeout is None or (deadline is not None and deadline < timeout):
            timeout = deadline
        watch: list[Any] = list(busy)
        if self._building:
            watch.append(self._wake_r)
        ready = multiprocessing.connection.wait(watch, timeout)
        results: list[AttemptResult] = []
        for conn in ready:
            if conn == self._wake_r:
                with contextlib.suppress(OSError):
                    os.read(self._wake_r, 512)
                self._take_built()
                self._flush()
                continue
            w = busy[conn]
            try:
                data = conn.recv_bytes()  # type: ignore[union-attr]
            except (EOFError, OSError):
                results.extend(self._lost(w))
                continue
            for result in self._decoder.decode(data):
                if w.queue:
                    slot = w.queue.popleft()
                    self._release(slot)
                    if self._isolation is not None:
                        confine(result, slot.request)
                    if w.queue:  # the next one starts now
                        w.queue[0].started = time.time()
                if result.error is not None and result.error.kind == ErrorKind.OOM:
                    self._retire(w)
                results.append(result)
            if w.retiring and not w.queue:
                self._drop(w)
        if not ready:
            results.extend(self._reap_overdue())
        if self._held and self._admit_held():
            self._flush()
        if self._tenants is not None and self._tenants.waiting:
            moved = self._tenants.place(self._group, self._enqueue)
            if moved:
                self._flush()
        if self._failed:
            results.extend(self._failed)
            self._failed = []
        return results

    def _deadline(self, workers: Any) -> float | None:
        now = time.monotonic()
        best: float | None = None
        for w in workers:
            head = w.queue[0]
            t = head.request.timeout_s
            if t is None:
                continue
            left = head.sent + t * len(w.queue) + _GRACE_S - now
            best = left if best is None else min(best, left)
        return None if best is None else max(best, 0.0)

    def _reap_overdue(self) -> list[AttemptResult]:
        now = time.monotonic()
        out: list[AttemptResult] = []
        for w in list(self._workers):
            if not w.queue:
                continue
            head = w.queue[0]
            t = head.request.timeout_s
            if t is not None and now > head.sent + t * len(w.queue) + _GRACE_S:
                why = f"{what(head.request)} did not stop at its {t:g} s timeout and was killed"
                out.append(
                    failure(
                        head.request, TaskTimeoutError(why), ErrorKind.TIMEOUT, w.name, head.started
                    )
                )
                self._evict(w, head)
            elif not w.alive():
                out.extend(self._lost(w))
        return out

    def _lost(self, w: Worker) -> list[AttemptResult]:
        """``w`` died: the attempt it ran fails, the ones queued behind it (never started) are
        submitted again.

        The kind says whose doing it was: ``OOM`` when the worker stopped itself over the task's
        memory limit; ``USER`` (``worker_lost``, the task's own retries) when the task's process
        crashed or exited by itself (a segfault, ``os._exit``); ``SYSTEM`` when something outside
        killed it (SIGKILL: the kernel's OOM killer or an operator; SIGTERM).
        """
        with contextlib.suppress(Exception):
            w.proc.join(1.0)
        code = w.proc.exitcode
        why = how_it_ended(code)
        out: list[AttemptResult] = []
        slots = list(w.queue)
        for slot in slots:
            self._release(slot)
        w.queue.clear()
        w.outbox.clear()
        self._replace(w)
        if not slots:
            return out
        req = slots[0].request
        if code == OOM_EXIT_CODE and req.task.limits.mem is not None:
            msg = (
                f"{what(req)} went over its memory limit of {req.task.limits.mem}; "
                "the worker stopped itself"
            )
            out.append(
                failure(req, TaskOutOfMemoryError(msg), ErrorKind.OOM, w.name, slots[0].started)
            )
        else:
            kind = ErrorKind.USER if _own_crash(code) else ErrorKind.SYSTEM
            err = WorkerLostError(f"{what(req)}: {why}")
            out.append(failure(req, err, kind, w.name, slots[0].started))
        for slot in slots[1:]:
            self.submit(slot.request)
        return out

    def _evict(self, w: Worker, culprit: Slot) -> None:
        """Kill ``w`` for ``culprit``'s sake; its other attempts are submitted again."""
        others = [s for s in w.queue if s is not culprit]
        for s in w.queue:
            self._release(s)
        w.queue.clear()
        w.outbox.clear()
        self._replace(w)
        for s in others:
            self.submit(s.request)

    def _replace(self, w: Worker) -> None:
        w.kill()
        i = self._workers.index(w)
        if w.retiring:
            del self._workers[i]  # its replacement already runs
            return
        self._workers[i] = Worker(self._ctx, self._next_index, self._code_root, w.env)
        self._next_index += 1
        self._refresh_active()

    def _retire(self, w: Worker) -> None:
        """``w`` went over a memory limit: it takes no more work and goes once its queue drains."""
        if w.retiring:
            return
        w.retiring = True
        self._workers.append(Worker(self._ctx, self._next_index, self._code_root, w.env))
        self._next_index += 1
        self._refresh_active()

    def _drop(self, w: Worker) -> None:
        w.kill()
        self._workers.remove(w)

    # -- cancelling and closing ----------------------------------------------------------------

    def cancel(self, node: str, attempt: int, execution: ExecutionId | None = None) -> None:
        def match(r: AttemptRequest) -> bool:
            return (
                r.node == node
                and r.attempt == attempt
                and (execution is None or r.execution == execution)
            )

        for env in self._envs.values():
            parked = next((r for r in env.parked if match(r)), None)
            if parked is not None:
                env.parked.remove(parked)
                self._failed.append(aborted(parked))
                return
        for i, (r, _) in enumerate(self._held):
            if match(r):
                del self._held[i]
                self._failed.append(aborted(r))
                return
        waiting = self._tenants.remove(match) if self._tenants is not None else None
        if waiting is not None:
            self._failed.append(aborted(waiting))
            return
        for w in list(self._workers):
            slot = next((s for s in w.queue if match(s.request)), None)
            if slot is None:
                continue
            self._failed.append(aborted(slot.request, w.name))
            if any(r is slot.request for r in w.outbox):  # not sent yet: just forget it
                w.outbox = [r for r in w.outbox if r is not slot.request]
                w.queue.remove(slot)
                self._release(slot)
                self._admit_held()
            else:
                self._evict(w, slot)
            return

    def interrupt(self) -> tuple[list[AttemptResult], list[AttemptRequest]]:
        """Stop everything because the engine host shuts down; only :meth:`close` follows.

        Returns the results already in, with the attempt each busy worker was running ended
        ``INTERRUPTED`` (from its real start), and the requests that never started: queued behind
        it, held for resources or parked while their environment builds. Busy workers are killed.
        """
        unstarted = [r for r, _ in self._held]  # first: taking results must not admit them
        self._held.clear()
        if self._tenants is not None:
            unstarted.extend(r for r, _ in self._tenants.waiting)
            self._tenants.waiting.clear()
        for env in self._envs.values():
            unstarted.extend(env.parked)
            env.parked = []
        results = self.wait(0.0)
        for w in self._workers:
            if not w.queue:
                continue
            head = w.queue[0].request
            if any(r is head for r in w.outbox):  # not even sent to the worker
                unstarted.append(head)
            else:
                started = w.queue[0].started
                results.append(
                    interrupted(
                        head.execution, head.node, head.attempt, started, w.name, log_of(head)
                    )
                )
            unstarted.extend(s.request for s in list(w.queue)[1:])
            for s in w.queue:
                self._release(s)
            w.queue.clear()
            w.outbox.clear()
            w.kill()
        results.extend(self._failed)
        self._failed = []
        return results, unstarted

    def close(self) -> None:
        for w in self._workers:
            if w.queue:  # busy: what it runs is abandoned, so it need not finish
                w.kill()
            else:  # an empty message asks an idle worker to exit
                with contextlib.suppress(OSError):
                    w.conn.send_bytes(b"")
        deadline = time.monotonic() + 1.0
        for w in self._workers:
            w.proc.join(max(0.0, deadline - time.monotonic()))
            if w.proc.is_alive():
                w.proc.kill()
                w.proc.join(1)
            w.conn.close()
            w.forget_dir()
        self._workers = []
        self._active = []
        self._env_active = {}
        self._held.clear()
        if self._wake_r >= 0:
            for fd in (self._wake_r, self._wake_w):
                with contextlib.suppress(OSError):
                    os.close(fd)
            self._wake_r = self._wake_w = -1

    def __enter__(self) -> LocalRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
