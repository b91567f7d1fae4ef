"""The connector lane: attempts of connector task types run as jobs on their services.

:class:`ConnectorRunner` wraps the runner of the workers. An attempt whose task type has a
connector (``slipstream.extend.backend``) never reaches a worker: an asyncio loop on a thread of
its own starts the job (``create``), polls it (``get``) with a pause that grows with the job's age
(3% of it, between 50 ms and 10 s), and stops it (``delete``) on abort or timeout. A
waiting job is a coroutine, not a process, so hundreds of them cost no worker. Every other attempt
goes to the wrapped runner; results of both come back through the one :meth:`wait`.

A job's meta is written to the blob store (``connector-job.json`` in its node's folder, sealed with
a key in the engine's home) as soon as ``create`` returns and before the first poll. When the engine (or its host, after a kill) runs the
node again and the journal names a job that was never seen to end, the new attempt follows that
job instead of starting a second one. A job that ended (any way) is marked so, and a later attempt
(a retry) starts afresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import queue
import secrets
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
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
from slipstream.model import LOG_FILE, ErrorKind, ExecutionId

from ._runner_results import aborted, failure

__all__ = ["ConnectorRunner"]

_Key = tuple[ExecutionId | None, str, int]
JOURNAL = "connector-job.json"
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
        self._jobs: dict[_Key, tuple[AttemptRequest, Future[None], float]] = {}
        self._at_inner: dict[_Key, float] = {}
        """Attempts handed to ``inner``, with when (for a runner that cannot interrupt)."""
        self._loop: asyncio.AbstractEventLoop | None = None
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
        started = time.time()
        with self._lock:
            job = asyncio.run_coroutine_threadsafe(self._follow(request, connector, started), loop)
            self._jobs[key] = (request, job, started)

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
        for req, job, _ in jobs:
            if req.node == node and req.attempt == attempt and execution in (None, req.execution):
                job.cancel()
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
        for req, job, started in jobs:
            job.cancel()
            results.append(interrupted(req.execution, req.node, req.attempt, started, self.name))
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
            for _, job, _ in jobs:
                job.cancel()
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
                loop.set_default_executor(ThreadPoolExecutor(16, "slipstream-connector-io"))
                self._thread = threading.Thread(
                    target=loop.run_forever, name="slipstream-connectors", daemon=True
                )
                self._loop = loop
                self._thread.start()
            return self._loop

    def _done(self, request: AttemptRequest, result: AttemptResult) -> None:
        with self._lock:
            self._jobs.pop((request.execution, request.node, request.attempt), None)
        if not self._interrupting:
            self._results.put(result)

    # -- one job ---------------------------------------------------------------------------------

    async def _follow(self, req: AttemptRequest, connector: ConnectorBase, started: float) -> None:
        service = connector.name
        meta: ResourceMeta | None = None
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
            links: list[TaskLog] | None = None
            while True:
                resource = await _timed(connector.get(meta, attempt_request=req), req, started)
                if resource.log_links and resource.log_links != links:
                    links = resource.log_links
                    _background(_write_links, req, service, links)
                if resource.phase == TaskExecution.SUCCEEDED:
                    # reported first: a node run again after a crash here finds the job ended
                    # on its service and takes its outputs, so the mark can come after
                    self._done(req, self._ended(req, service, resource, started))
                    _background(_journal_ended, req)
                    return
                if resource.phase in _ENDED:  # marked first: a retry must not follow it
                    await asyncio.to_thread(_journal_ended, req)
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
        # a first attempt has no earlier one whose job it could follow
        found = await asyncio.to_thread(_journal_open_job, req) if req.attempt > 1 else None
        if found is not None:
            known = connector.metadata_type.decode(found)
            await asyncio.to_thread(_journal_write, req, found, "running")
            return known
        meta: ResourceMeta = await _timed(
            connector.create(req.task, req.output_prefix, req.inputs, attempt_request=req),
            req,
            time.time(),
        )
        await asyncio.to_thread(_journal_write, req, meta.encode(), "running")
        return meta

    async def _stop(
        self, req: AttemptRequest, connector: ConnectorBase, meta: ResourceMeta
    ) -> None:
        assert isinstance(connector, AsyncConnectorBase)
        with contextlib.suppress(Exception):  # the attempt ends as it must either way
            await asyncio.wait_for(connector.delete(meta, attempt_request=req), 30)
        with contextlib.suppress(Exception):
            await asyncio.to_thread(_journal_ended, req)

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
                execution=req.execution, log_uri=_log_uri(req) if resource.log_links else "",
            )  # fmt: skip
        what = "was stopped" if resource.phase == TaskExecution.ABORTED else "failed"
        e = ConnectorError(f"{service}: the job {what}: {resource.message or 'no reason given'}")
        kind = ErrorKind.USER if resource.phase == TaskExecution.FAILED else None
        result = failure(req, e, kind, self.name, started)
        if resource.log_links:
            result.log_uri = _log_uri(req)
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


def _background(fn: Any, *args: Any) -> None:
    """Run a small write on the loop's threads without waiting for it (its failure is lost:
    what it writes is a convenience, such as the job's links)."""

    def quietly() -> None:
        with contextlib.suppress(Exception):
            fn(*args)

    asyncio.get_running_loop().run_in_executor(None, quietly)


def _service_error(service: str, e: Exception) -> ConnectorError:
    return ConnectorError(f"{service}: {type(e).__name__}: {e}")


# -- the journal: one file per node in the blob store ------------------------------------------


def _journal_uri(req: AttemptRequest) -> str:
    tail = f"/{req.attempt}/outputs"
    prefix = req.output_prefix
    node_dir = prefix[: -len(tail)] if prefix.endswith(tail) else prefix
    return f"{node_dir}/{JOURNAL}"


_KEYS: dict[Path, bytes] = {}


def _journal_key() -> bytes:
    """This engine's key for the journal's seal, kept in its home (which tasks cannot read when
    they run as a user of their own): a journal a task forged in the blob store is ignored, so a
    connector is never handed a job meta (an address, a path) that this engine did not make."""
    from slipstream.storage import slipstream_home

    path = slipstream_home() / "connector-journal.key"
    known = _KEYS.get(path)
    if known is not None:
        return known
    try:
        _KEYS[path] = path.read_bytes()
        return _KEYS[path]
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(secrets.token_bytes(32))
        return path.read_bytes()


def _seal(uri: str, body: dict[str, Any]) -> str:
    fields = json.dumps([uri, body["attempt"], body["type"], body["state"], body["meta"]])
    return hmac.new(_journal_key(), fields.encode(), hashlib.sha256).hexdigest()


def _journal_write(req: AttemptRequest, meta: bytes, state: str) -> None:
    from slipstream.storage import open_store

    uri = _journal_uri(req)
    body: dict[str, Any] = {
        "attempt": req.attempt, "type": req.task.type, "state": state, "meta": meta.decode(),
    }  # fmt: skip
    body["seal"] = _seal(uri, body)
    open_store(req.store).put_bytes(uri, json.dumps(body).encode())


def _journal_open_job(req: AttemptRequest) -> bytes | None:
    """The meta of a job an earlier attempt of this node started and never saw end."""
    from slipstream.storage import open_store

    store, uri = open_store(req.store), _journal_uri(req)
    if not store.exists(uri):
        return None
    try:
        body = json.loads(store.get_bytes(uri))
    except ValueError:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("seal"), str):
        return None
    try:
        if not hmac.compare_digest(body["seal"], _seal(uri, body)):
            return None
    except (KeyError, TypeError):
        return None
    if body.get("state") != "running" or body.get("type") != req.task.type:
        return None
    if not isinstance(body.get("attempt"), int) or body["attempt"] > req.attempt:
        return None
    return str(body["meta"]).encode()


def _journal_ended(req: AttemptRequest) -> None:
    from slipstream.storage import open_store

    store, uri = open_store(req.store), _journal_uri(req)
    if store.exists(uri):
        body = json.loads(store.get_bytes(uri))
        body["state"] = "ended"
        body["seal"] = _seal(uri, body)
        store.put_bytes(uri, json.dumps(body).encode())


def _log_uri(req: AttemptRequest) -> str:
    return f"{req.log_dir}/{LOG_FILE}" if req.log_dir else ""


def _write_links(req: AttemptRequest, service: str, links: list[TaskLog]) -> None:
    """The job's links as the attempt's log, where ``execution logs`` and the console read it."""
    if not req.log_dir:
        return
    from slipstream.storage import open_store

    lines = [f"{service} job of task {req.task.id.name} (node {req.node}, attempt {req.attempt})"]
    lines += [f"{link.name or 'link'}: {link.uri}" for link in links]
    open_store(req.store).put_bytes(_log_uri(req), ("\n".join(lines) + "\n").encode())
