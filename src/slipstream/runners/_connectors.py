"""The connector lane: attempts of connector task types run as jobs on their services.

:class:`ConnectorRunner` wraps the runner of the workers. An attempt whose task type has a
connector (``slipstream.extend.backend``) never reaches a worker: an asyncio loop on a thread of
its own starts the job (``create``), polls it (``get``) with a pause that grows with the job's age
(3% of it, between 50 ms and 10 s), and stops it (``delete``) on abort or timeout. A
waiting job is a coroutine, not a process, so hundreds of them cost no worker. Every other attempt
goes to the wrapped runner; results of both come back through the one :meth:`wait`.

Jobs submitted together start together: one turn of the loop starts every job submitted since the
last (their ``create`` calls run concurrently), and the journals of the jobs created in one turn
are written in one batch (``_connector_journal``).

A job's meta is written to the blob store (``connector-job.json`` in its node's folder, sealed with
a key in the engine's home) as soon as ``create`` returns and before the first poll. When the
engine (or its host, after a kill) runs the node again and the journal names a job that was never
seen to end, the new attempt follows that job instead of starting a second one. A job that ended
(any way) is marked so, and a later attempt (a retry) starts afresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slipstream.engine import AttemptRequest, AttemptResult, Runner, interrupted
from slipstream.errors import ConnectorError, SlipstreamError, TaskTimeoutError
from slipstream.extend.backend import (
    AsyncConnectorBase,
    ConnectorBase,
    ConnectorRegistry,
    Resource,
    ResourceMeta,
    SyncConnectorBase,
    TaskExecution,
    TaskLog,
)
from slipstream.model import ErrorKind, ExecutionId

from ._connector_journal import Journal, log_uri, read_open_job, write_links
from ._runner_results import aborted, failure

__all__ = ["ConnectorRunner"]

_Key = tuple[ExecutionId | None, str, int]
MIN_PAUSE, MAX_PAUSE, AGE_SHARE = 0.05, 10.0, 0.03
_ENDED = frozenset({TaskExecution.SUCCEEDED, TaskExecution.FAILED, TaskExecution.ABORTED})
_WORKER_TYPES = frozenset({"python", "dynamic", "map", "shell", "eager", "echo", "reference"})


def pause_after(age: float) -> float:
    """How long to wait before polling a job ``age`` seconds old again."""
    return min(MAX_PAUSE, max(MIN_PAUSE, age * AGE_SHARE))


class ConnectorRunner:
    """A runner that sends connector attempts to their services and the rest to ``inner``."""

    def __init__(self, inner: Runner, max_jobs: int = 100_000) -> None:
        self.inner = inner
        self.name = inner.name
        self.max_jobs = max_jobs
        self._types: dict[str, ConnectorBase | None] = {}
        self._results: queue.SimpleQueue[AttemptResult] = queue.SimpleQueue()
        self._jobs: dict[_Key, _Job] = {}
        self._arriving: list[_Job] = []
        """Jobs submitted and not yet started on the loop (taken all at once by its next turn)."""
        self._at_inner: dict[_Key, float] = {}
        """Attempts handed to ``inner``, with when (for a runner that cannot interrupt)."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._journal: Journal | None = None
        self._thread: threading.Thread | None = None
        self._interrupting = False
        self._lock = threading.Lock()

    # -- what the engine and the host read -------------------------------------------------------

    @property
    def capacity(self) -> int:
        return self.inner.capacity + self.max_jobs

    @property
    def workers(self) -> int | None:
        return getattr(self.inner, "workers", None)

    @property
    def user_code_apart(self) -> bool:
        return bool(getattr(self.inner, "user_code_apart", False))

    @property
    def jobs(self) -> int:
        """Connector jobs followed now."""
        return len(self._jobs)

    def takes_no_slot(self, request: AttemptRequest) -> bool:
        """Whether ``request`` runs as a connector job (it holds no worker)."""
        return self._connector(request.task.type) is not None

    def _connector(self, task_type: str) -> ConnectorBase | None:
        if task_type in _WORKER_TYPES:
            return None
        try:
            return self._types[task_type]
        except KeyError:
            pass
        try:
            found = ConnectorRegistry.find(task_type)
        except Exception:  # a plugin that fails to import runs nothing: the worker reports it
            found = None
        self._types[task_type] = found
        return found

    # -- the Runner interface --------------------------------------------------------------------

    def submit(self, request: AttemptRequest) -> None:
        connector = self._connector(request.task.type)
        key = (request.execution, request.node, request.attempt)
        if connector is None:
            self._at_inner[key] = time.time()
            self.inner.submit(request)
            return
        loop = self._start_loop()
        job = _Job(request, connector, time.time())
        with self._lock:
            self._jobs[key] = job
            self._arriving.append(job)
            first = len(self._arriving) == 1
        if first:  # one wake of the loop starts every job submitted until it runs
            loop.call_soon_threadsafe(self._start_jobs)

    def wait(self, timeout: float | None) -> list[AttemptResult]:
        results = self._take()
        if results or not (self._jobs or not self._results.empty()):
            if self._at_inner:
                results.extend(self._from_inner(0.0 if results else timeout))
            return results
        if not self._at_inner:  # only jobs out: sleep until one ends
            try:
                results.append(self._results.get(timeout=timeout))
            except queue.Empty:
                return []
            return results + self._take()
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:  # both: short turns on the workers, then the jobs
            left = 0.02 if deadline is None else min(0.02, deadline - time.monotonic())
            results = self._from_inner(max(0.0, left)) + self._take()
            if results or (deadline is not None and time.monotonic() >= deadline):
                return results

    def cancel(self, node: str, attempt: int, execution: ExecutionId | None = None) -> None:
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            req = job.request
            if req.node == node and req.attempt == attempt and execution in (None, req.execution):
                self._cancel(job)
                return
        self.inner.cancel(node, attempt, execution)

    def interrupt(self) -> tuple[list[AttemptResult], list[AttemptRequest]]:
        """The host shuts down: jobs keep running on their services (the journal finds them
        again); their attempts end ``INTERRUPTED``. The workers' runner stops its own."""
        self._interrupting = True
        results: list[AttemptResult] = []
        with self._lock:
            jobs = list(self._jobs.values())
            self._jobs.clear()
        for job in jobs:
            self._cancel(job)
            req = job.request
            results.append(
                interrupted(req.execution, req.node, req.attempt, job.started, self.name)
            )
        stop = getattr(self.inner, "interrupt", None)
        unstarted: list[AttemptRequest] = []
        if stop is not None:
            more, unstarted = stop()
            results.extend(more)
        else:  # counted as started when handed over
            results.extend(interrupted(*k, started_at=t) for k, t in self._at_inner.items())
        self._at_inner.clear()
        return results, unstarted

    def close(self) -> None:
        self._interrupting = True
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None:
            with self._lock:
                jobs = list(self._jobs.values())
            for job in jobs:
                self._cancel(job)
            if self._journal is not None:  # what waits to be written (end marks, links)
                with contextlib.suppress(Exception):
                    asyncio.run_coroutine_threadsafe(self._journal.drain(), loop).result(5)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=5)
            if not thread.is_alive():
                loop.close()
            self._loop = self._thread = None
        self.inner.close()

    # -- plumbing --------------------------------------------------------------------------------

    def _take(self) -> list[AttemptResult]:
        out: list[AttemptResult] = []
        with contextlib.suppress(queue.Empty):
            while True:
                out.append(self._results.get_nowait())
        return out

    def _from_inner(self, timeout: float | None) -> list[AttemptResult]:
        results = self.inner.wait(timeout)
        for r in results:
            self._at_inner.pop((r.execution, r.node, r.attempt), None)
            if r.execution is None:  # a runner of one execution: match by node and attempt
                for k in [k for k in self._at_inner if k[1:] == (r.node, r.attempt)]:
                    self._at_inner.pop(k, None)
        return results

    def _start_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                threads = ThreadPoolExecutor(16, "slipstream-connector-io")
                loop.set_default_executor(threads)
                self._journal = Journal(loop, threads)
                self._thread = threading.Thread(
                    target=loop.run_forever, name="slipstream-connectors", daemon=True
                )
                self._loop = loop
                self._thread.start()
            return self._loop

    def _start_jobs(self) -> None:
        """On the loop: start every job that arrived since the last turn."""
        with self._lock:
            arriving, self._arriving = self._arriving, []
        for job in arriving:
            if job.cancelled:  # cancelled before it started: nothing runs on the service
                if not self._interrupting:
                    self._done(job.request, aborted(job.request, self.name))
                continue
            job.task = asyncio.get_running_loop().create_task(
                self._follow(job.request, job.connector, job.started)
            )

    def _cancel(self, job: _Job) -> None:
        """Cancel ``job`` from any thread."""
        job.cancelled = True
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop stopped meanwhile
                loop.call_soon_threadsafe(job.cancel_task)

    def _done(self, request: AttemptRequest, result: AttemptResult) -> None:
        with self._lock:
            self._jobs.pop((request.execution, request.node, request.attempt), None)
        if not self._interrupting:
            self._results.put(result)

    # -- one job ---------------------------------------------------------------------------------

    async def _follow(self, req: AttemptRequest, connector: ConnectorBase, started: float) -> None:
        service = connector.name
        meta: ResourceMeta | None = None
        journal = self._journal
        assert journal is not None
        try:
            if isinstance(connector, SyncConnectorBase):
                resource = await _timed(
                    connector.do(req.task, req.output_prefix, req.inputs, attempt_request=req),
                    req,
                    started,
                )
                self._done(req, self._ended(req, service, resource, started))
                return
            if not isinstance(connector, AsyncConnectorBase):
                raise ConnectorError(f"{service}: {connector!r} is not a connector")
            meta = await self._attach_or_create(req, connector)
            # recorded before anything else: a host killed from here on follows this job again
            # (and a job stopped while its record is written is deleted: meta is known here)
            await journal.running(req, meta.encode())
            links: list[TaskLog] | None = None
            while True:
                resource = await _timed(connector.get(meta, attempt_request=req), req, started)
                if resource.log_links and resource.log_links != links:
                    links = resource.log_links
                    journal.later(write_links, req, service, links)
                if resource.phase == TaskExecution.SUCCEEDED:
                    # reported first: a node run again after a crash here finds the job ended
                    # on its service and takes its outputs, so the mark can come after
                    self._done(req, self._ended(req, service, resource, started))
                    journal.ended_later(req)
                    return
                if resource.phase in _ENDED:  # marked first: a retry must not follow it
                    await journal.ended(req)
                    self._done(req, self._ended(req, service, resource, started))
                    return
                await asyncio.sleep(pause_after(time.time() - started))
        except asyncio.CancelledError:
            if self._interrupting:  # the host stops: the job runs on, the journal keeps it
                return
            if meta is not None:
                await self._stop(req, connector, meta)
            self._done(req, aborted(req, self.name))
        except TaskTimeoutError as e:
            if meta is not None:
                await self._stop(req, connector, meta)
            self._done(req, failure(req, e, ErrorKind.TIMEOUT, self.name, started))
        except Exception as e:
            if meta is not None:  # the job's fate is unknown: it is given up and stopped
                await self._stop(req, connector, meta)
            why = e if isinstance(e, SlipstreamError) else _service_error(service, e)
            if isinstance(e, SlipstreamError) and service not in str(e):
                why = ConnectorError(f"{service}: {e}")
            self._done(req, failure(req, why, None, self.name, started))

    async def _attach_or_create(
        self, req: AttemptRequest, connector: AsyncConnectorBase
    ) -> ResourceMeta:
        """The job an earlier attempt of this node started and never saw end, or a new one."""
        # a first attempt has no earlier one whose job it could follow
        found = await asyncio.to_thread(read_open_job, req) if req.attempt > 1 else None
        if found is not None:
            return connector.metadata_type.decode(found)
        meta: ResourceMeta = await _timed(
            connector.create(req.task, req.output_prefix, req.inputs, attempt_request=req),
            req,
            time.time(),
        )
        return meta

    async def _stop(
        self, req: AttemptRequest, connector: ConnectorBase, meta: ResourceMeta
    ) -> None:
        assert isinstance(connector, AsyncConnectorBase)
        with contextlib.suppress(Exception):  # the attempt ends as it must either way
            await asyncio.wait_for(connector.delete(meta, attempt_request=req), 30)
        if self._journal is not None:
            with contextlib.suppress(Exception):
                await self._journal.ended(req)

    def _ended(
        self, req: AttemptRequest, service: str, resource: Resource, started: float
    ) -> AttemptResult:
        if resource.phase == TaskExecution.SUCCEEDED:
            info = resource.custom_info or {}
            return AttemptResult(
                req.node, req.attempt, True,
                outputs=None if info.get("outputs_uri") else dict(resource.outputs or {}),
                outputs_uri=str(info.get("outputs_uri") or ""),
                started_at=started, ended_at=time.time(), worker=self.name,
                execution=req.execution, log_uri=log_uri(req) if resource.log_links else "",
            )  # fmt: skip
        what = "was stopped" if resource.phase == TaskExecution.ABORTED else "failed"
        e = ConnectorError(f"{service}: the job {what}: {resource.message or 'no reason given'}")
        kind = ErrorKind.USER if resource.phase == TaskExecution.FAILED else None
        result = failure(req, e, kind, self.name, started)
        if resource.log_links:
            result.log_uri = log_uri(req)
        return result


async def _timed(call: Any, req: AttemptRequest, started: float) -> Any:
    """Await a connector's call within what is left of the attempt's timeout."""
    if not req.timeout_s:
        return await call
    left = started + req.timeout_s - time.time()
    try:
        return await asyncio.wait_for(call, max(0.0, left))
    except TimeoutError:
        raise TaskTimeoutError(
            f"task {req.task.id.name} (node {req.node}) ran past its timeout of {req.timeout_s} s"
        ) from None


def _service_error(service: str, e: Exception) -> ConnectorError:
    return ConnectorError(f"{service}: {type(e).__name__}: {e}")


class _Job:
    """One connector attempt: its request, its connector, and its coroutine on the loop."""

    __slots__ = ("cancelled", "connector", "request", "started", "task")

    def __init__(self, request: AttemptRequest, connector: ConnectorBase, started: float) -> None:
        self.request = request
        self.connector = connector
        self.started = started
        self.task: asyncio.Task[None] | None = None
        self.cancelled = False

    def cancel_task(self) -> None:
        """On the loop: stop the job's coroutine (a job not started yet never starts)."""
        if self.task is not None:
            self.task.cancel()
