"""The task entrypoint every runner calls: load the code, read inputs, run, write outputs, report.

The inline runner calls it in the engine's process, warm worker processes call it in theirs, Ray
workers in theirs: one path, so that what works locally works everywhere.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from pathlib import Path
from typing import Any

from slipstream.engine import (
    AttemptRequest,
    AttemptResult,
    error_info,
    pack_exception,
    user_traceback,
)
from slipstream.errors import SlipstreamError, TaskOutOfMemoryError, TaskTimeoutError
from slipstream.model import ErrorKind, encode
from slipstream.sdk import (
    ExecutionIdentifier,
    ExecutionParameters,
    resolve_loader,
    task_context,
)
from slipstream.types import TypeContext

from ._logs import OutputCapture
from ._memory import MemoryWatch, rss_bytes
from ._resources import memory_limit_of

__all__ = ["error_info", "run_attempt", "user_traceback"]

_scratch: str | None = None


def _scratch_dir() -> Path:
    global _scratch
    if _scratch is None:
        import tempfile

        _scratch = tempfile.mkdtemp(prefix="slipstream-")
    return Path(_scratch)


class _Alarm:
    """Raises :class:`TaskTimeoutError` in the main thread after ``seconds`` (SIGALRM)."""

    def __init__(self, seconds: float | None, what: str) -> None:
        self.seconds = seconds
        self.what = what
        self.armed = False

    def __enter__(self) -> _Alarm:
        s = self.seconds
        if (
            s
            and threading.current_thread() is threading.main_thread()
            and hasattr(signal, "SIGALRM")
        ):

            def fire(signum: int, frame: Any) -> None:
                raise TaskTimeoutError(f"{self.what} timed out after {s:g} s")

            self._old = signal.signal(signal.SIGALRM, fire)
            signal.setitimer(signal.ITIMER_REAL, s)
            self.armed = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self.armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._old)


def _context(req: AttemptRequest) -> TypeContext:
    from slipstream.storage import open_store

    return TypeContext(
        store=open_store(req.store),
        output_prefix=req.output_prefix,
        local_dir=_scratch_dir() / f"{req.execution.name}-{_safe(req.node)}-{req.attempt}",
    )


def run_attempt(req: AttemptRequest, worker: str = "", live: bool = False) -> AttemptResult:
    """Run one attempt and describe how it ended. Never raises for the task's own errors.

    ``live``: the caller shares the engine's process, which gets the exception object itself.
    With ``req.log_dir`` the attempt's stdout and stderr are kept there (see ``_logs``); a task's
    memory limit is watched in worker processes (not ``live``: the engine's memory is not the
    task's), and going over it ends the attempt with kind ``OOM``.
    """
    if not req.log_dir and (live or req.task.limits.mem is None):
        return _run(req, worker, live)  # the common case pays for nothing more
    started = time.time()
    watch: MemoryWatch | None = None
    if not live and req.task.limits.mem is not None:
        try:
            limit = memory_limit_of(req.task)
        except SlipstreamError as e:
            return _failure(req, e, worker, live, started)
        assert limit is not None
        watch = MemoryWatch(
            limit, req.task.limits.mem, f"task {req.task.id.name} (node {req.node})"
        )
    with contextlib.ExitStack() as stack:
        capture = (
            stack.enter_context(OutputCapture(req.log_dir, req.store, req.log_spool))
            if req.log_dir
            else None
        )
        try:
            if watch is None:
                result = _run(req, worker, live)
            else:
                with watch:
                    result = _run(req, worker, live)
        except TaskOutOfMemoryError as e:  # raised between the task's own error boundaries
            result = _failure(req, e, worker, live, started)
        if watch is not None and watch.tripped:
            result = _failure(req, watch.error(), worker, live, started, ErrorKind.OOM)
        if watch is not None:
            result.memory_peak = max(watch.peak, rss_bytes())
    if capture is not None:
        result.log_uri = capture.uri
    return result


def _failure(
    req: AttemptRequest,
    e: BaseException,
    worker: str,
    live: bool,
    started: float,
    kind: ErrorKind | None = None,
) -> AttemptResult:
    if isinstance(e, TaskOutOfMemoryError):
        kind = ErrorKind.OOM
        e.__traceback__ = None
    return AttemptResult(
        req.node, req.attempt, False, error=error_info(e, req.node, kind),
        exception=pack_exception(e, live=live), started_at=started, ended_at=time.time(),
        worker=worker, execution=req.execution,
    )  # fmt: skip


def _run(req: AttemptRequest, worker: str, live: bool) -> AttemptResult:
    started = time.time()
    node = req.node
    attempt = req.attempt
    ctx: TypeContext | None = None
    try:
        task = resolve_loader(req.task.loader, req.code_root or None)
        if task.needs_context:
            ctx = _context(req)
        kwargs = task.decode_inputs(req.inputs, ctx)
    except Exception as e:
        return AttemptResult(
            node, attempt, False, error=error_info(e, node), exception=pack_exception(e, live=live),
            started_at=started, ended_at=time.time(), worker=worker, execution=req.execution,
        )  # fmt: skip
    ex = req.execution
    params = ExecutionParameters(
        execution_id=ExecutionIdentifier(ex.project, ex.domain, ex.name),
        attempt_number=attempt - 1,
        node_id=node,
        task_id=task.name,
        raw_output_prefix=req.output_prefix,
        checkpoint_dest=req.checkpoint_dest,
        checkpoint_src=req.checkpoint_src,
    )
    result = _execute(req, task, kwargs, ctx, params, worker, live, started)
    if params.decks or getattr(task, "enable_deck", False):
        result.deck_uri = _write_decks(req, task.name, params.decks)
    return result


def _write_decks(req: AttemptRequest, task_name: str, decks: list[Any]) -> str:
    """Render the attempt's decks into one page beside its outputs; returns the page's URI."""
    from slipstream.sdk import render_decks
    from slipstream.storage import open_store

    title = f"{task_name} - node {req.node}, attempt {req.attempt}"
    try:
        page = render_decks(decks, title)
    except Exception as e:  # a deck that cannot render must not fail the task's work
        page = render_decks([], f"{title}: decks could not be rendered: {type(e).__name__}: {e}")
    uri = f"{req.output_prefix.rsplit('/', 1)[0]}/deck.html"
    open_store(req.store).put_bytes(uri, page.encode())
    return uri


def _execute(
    req: AttemptRequest,
    task: Any,
    kwargs: dict[str, Any],
    ctx: TypeContext | None,
    params: ExecutionParameters,
    worker: str,
    live: bool,
    started: float,
) -> AttemptResult:
    node = req.node
    attempt = req.attempt
    try:
        with task_context(params):
            if req.timeout_s:
                with _Alarm(req.timeout_s, f"task {task.name} (node {node})"):
                    result = _call(task, kwargs)
            else:
                result = _call(task, kwargs)
        if result.__class__ is _Dynamic:
            return AttemptResult(
                node, attempt, True, dynamic=encode(result.compiled),
                started_at=started, ended_at=time.time(), worker=worker, execution=req.execution,
            )  # fmt: skip
        if ctx is None and task.needs_context:
            ctx = _context(req)
        outputs = task.encode_outputs(result, ctx)
    except TaskTimeoutError as e:
        e.__traceback__ = None
        return AttemptResult(
            node, attempt, False, error=error_info(e, node, ErrorKind.TIMEOUT), exception=pack_exception(e, live=live), timed_out=True,
            started_at=started, ended_at=time.time(), worker=worker, execution=req.execution,
        )  # fmt: skip
    except Exception as e:
        e.__traceback__ = user_traceback(e.__traceback__)
        return AttemptResult(
            node, attempt, False,
            error=error_info(e, node, ErrorKind.OOM if isinstance(e, TaskOutOfMemoryError) else None), exception=pack_exception(e, live=live),
            started_at=started, ended_at=time.time(), worker=worker, execution=req.execution,
        )  # fmt: skip
    finally:
        params.cleanup()  # the outputs were saved: the attempt's working directory can go
    encoded = encode(outputs)
    if len(encoded) > req.offload_bytes:
        from slipstream.storage import open_store

        uri = f"{req.output_prefix}/outputs.json"
        try:
            open_store(req.store).put_bytes(uri, encoded)
        except SlipstreamError as e:  # the store refused the outputs (full, away): said so
            e.__traceback__ = None  # none of its frames are the task's
            return _failure(req, e, worker, live, started)
        return AttemptResult(
            node, attempt, True, outputs_uri=uri,
            started_at=started, ended_at=time.time(), worker=worker, execution=req.execution,
        )  # fmt: skip
    return AttemptResult(
        node, attempt, True, outputs=outputs,
        started_at=started, ended_at=time.time(), worker=worker, execution=req.execution,
    )  # fmt: skip


class _Dynamic:
    __slots__ = ("compiled",)

    def __init__(self, compiled: Any) -> None:
        self.compiled = compiled


def _call(task: Any, kwargs: dict[str, Any]) -> Any:
    if task.task_type == "dynamic":
        return _Dynamic(task.compile_dynamic(kwargs))
    return task.execute(**kwargs)


def _safe(path: str) -> str:
    return path.replace("/", "_").replace("[", "_").replace("]", "")
