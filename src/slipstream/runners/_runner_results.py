"""The results a runner makes up for attempts that cannot report their own (the local pool's and
Ray's alike).

An attempt that is cancelled, refused (it can never fit, or its environment cannot be built), or
whose worker died or overran its deadline ends with a result made here, shaped like one a worker
reports: started and ended now, naming the worker (when one held it) and the error's kind.
"""

from __future__ import annotations

import time

from slipstream.engine import AttemptRequest, AttemptResult
from slipstream.errors import FailureCode, SlipstreamError
from slipstream.model import LOG_FILE, ErrorInfo, ErrorKind

from ._entrypoint import error_info

__all__ = ["aborted", "failure", "log_of", "what"]


def log_of(req: AttemptRequest) -> str:
    """Where the attempt's log is, when it was kept as it ran ("" for spooled map items and
    attempts without logs): the output a task printed before its worker died stays readable."""
    return f"{req.log_dir}/{LOG_FILE}" if req.log_dir and not req.log_spool else ""


def what(req: AttemptRequest) -> str:
    """The attempt's task and node, for a message: ``task t (node n3)``."""
    return f"task {req.task.id.name} (node {req.node})"


def aborted(req: AttemptRequest, worker: str = "") -> AttemptResult:
    """The result of a cancelled attempt (kind ``ABORTED``)."""
    return _stopped(
        req, FailureCode.ABORTED, f"{what(req)} was cancelled", ErrorKind.ABORTED, worker
    )


def failure(
    req: AttemptRequest,
    e: SlipstreamError,
    kind: ErrorKind | None = None,
    worker: str = "",
    started_at: float | None = None,
) -> AttemptResult:
    """The result of an attempt that failed with ``e`` outside a worker's attempt (``kind``
    overrides the error's own); ``started_at`` when it ran (default: it ends as it starts)."""
    from slipstream.engine import pack_exception

    now = time.time()
    return AttemptResult(
        req.node,
        req.attempt,
        False,
        error=error_info(e, req.node, kind),
        exception=pack_exception(e),
        timed_out=kind == ErrorKind.TIMEOUT,
        started_at=now if started_at is None else started_at,
        ended_at=now,
        worker=worker,
        execution=req.execution,
        log_uri=log_of(req),
    )


def _stopped(
    req: AttemptRequest, code: str, message: str, kind: ErrorKind, worker: str = ""
) -> AttemptResult:
    now = time.time()
    return AttemptResult(
        req.node,
        req.attempt,
        False,
        error=ErrorInfo(code=code, message=message, kind=kind, node=req.node),
        timed_out=kind == ErrorKind.TIMEOUT,
        started_at=now,
        ended_at=now,
        worker=worker,
        execution=req.execution,
        log_uri=log_of(req),
    )
