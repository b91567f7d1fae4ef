"""One execution's attempts as the runner and the state store see them.

An attempt's request says where its outputs, checkpoint and log go, under the execution's prefix
in the blob store (``{node}/{attempt}/outputs``, ``.../checkpoint``, ``.../logs``), and where the
checkpoint to start from is (the attempt before it, or on a first attempt what a replay recorded).
Attempt records are written here only: one when an attempt ends, and, when logs are captured, one
while it runs so that its log can be followed. Each record's change of phase is checked against
the declared table from the phase the attempt was last recorded in (QUEUED, handed to the runner,
when none was), through RUNNING for an attempt the runner ran that was not recorded running. An attempt given more memory after one was killed
for memory carries its task with the grown limit and request, so that every runner enforces and
accounts the grown figure; its record keeps the limit it ran under and the peak its worker saw.
"""

from __future__ import annotations

import time
from typing import Any

import msgspec

from slipstream.errors import IllegalTransitionError
from slipstream.model import (
    ATTEMPT_TRANSITIONS,
    LOG_FILE,
    AttemptPhase,
    AttemptRecord,
    AttemptRequest,
    AttemptResult,
    ErrorInfo,
    ErrorKind,
    ExecutionId,
    TaskTemplate,
    check_path,
    check_transition,
    format_memory,
)
from slipstream.storage import DataLayout, node_segment, open_store

from ._interfaces import Runner, StateStore
from ._replay import Replay
from ._retry import INTERRUPTED, memory_of, quantity_bytes

__all__ = ["Attempts", "interrupted"]


def _illegal(msg: str) -> Exception:
    return IllegalTransitionError(msg)


_LEGAL: set[tuple[AttemptPhase, bool, AttemptPhase]] = set()
"""The ends (from, ran, to) already checked: the table is constant, so each is checked once."""


def interrupted(
    execution: ExecutionId | None,
    node: str,
    attempt: int,
    started_at: float,
    worker: str = "",
    log_uri: str = "",
) -> AttemptResult:
    """The result of an attempt stopped because its engine host shut down (a routine restart):
    recorded ``INTERRUPTED`` with its real start, run again without spending any retry budget."""
    return AttemptResult(
        node,
        attempt,
        False,
        error=ErrorInfo(
            code=INTERRUPTED,
            message="the engine host shut down before the attempt ended; it runs again",
            kind=ErrorKind.SYSTEM,
            node=node,
        ),
        started_at=started_at,
        ended_at=time.time(),
        worker=worker,
        execution=execution,
        log_uri=log_uri,
    )


class Attempts:
    """The requests and records of one execution's attempts (the executor owns one)."""

    __slots__ = (
        "blob_store",
        "capture_logs",
        "code_root",
        "id",
        "limits",
        "phases",
        "prefix",
        "replay",
        "runner",
        "store",
    )

    def __init__(
        self,
        execution_id: ExecutionId,
        store: StateStore,
        runner: Runner,
        blob_store: str,
        code_root: str,
        capture_logs: bool,
        replay: Replay | None,
    ) -> None:
        self.id = execution_id
        self.store = store
        self.runner = runner
        self.blob_store = blob_store
        self.code_root = code_root
        self.capture_logs = capture_logs
        self.replay = replay
        self.limits: dict[tuple[str, int], int] = {}
        """The memory limit of each running attempt that has one, for its record."""
        self.phases: dict[tuple[str, int], AttemptPhase] = {}
        """The phase of each attempt recorded before it ended (RUNNING, to name its log)."""
        layout = DataLayout(open_store(blob_store))
        self.prefix = (
            layout.execution_prefix(execution_id.project, execution_id.domain, execution_id.name)
            + "/"
        )

    def request(
        self,
        path: str,
        attempt: int,
        task: TaskTemplate,
        inputs: dict[str, Any],
        timeout_s: float | None,
        segment: str | None,
        memory: int = 0,
    ) -> AttemptRequest:
        """The request of attempt ``attempt`` of ``path``; ``timeout_s`` is the node's override of
        the task's timeout, ``segment`` the path's storage segment when the caller knows it,
        ``memory`` the bytes an attempt after one killed for memory gets (0: the task's own)."""
        if memory:
            task = grown(task, memory)
        if task.limits.mem is not None:
            self.limits[(path, attempt)] = memory_of(task)
        node_dir = self.prefix + (segment or node_segment(path))
        if attempt > 1:
            checkpoint_src = f"{node_dir}/{attempt - 1}/checkpoint"
        elif self.replay is not None:
            checkpoint_src = self.replay.checkpoint_of(path)
        else:
            checkpoint_src = ""
        return AttemptRequest(
            execution=self.id,
            node=path,
            attempt=attempt,
            task=task,
            inputs=inputs,
            store=self.blob_store,
            output_prefix=f"{node_dir}/{attempt}/outputs",
            checkpoint_dest=f"{node_dir}/{attempt}/checkpoint",
            checkpoint_src=checkpoint_src,
            code_root=self.code_root,
            timeout_s=timeout_s if timeout_s is not None else task.metadata.timeout_s,
            log_dir=f"{node_dir}/{attempt}/logs" if self.capture_logs else "",
            log_spool=segment is not None,
        )

    def running(self, request: AttemptRequest) -> None:
        """Record that ``request`` runs, naming its log (requests made with logs captured)."""
        key = (request.node, request.attempt)
        current = self.phases.get(key, AttemptPhase.QUEUED)
        check_transition(
            ATTEMPT_TRANSITIONS,
            current,
            AttemptPhase.RUNNING,
            f"attempt {request.node}#{request.attempt}",
            _illegal,
        )
        self.phases[key] = AttemptPhase.RUNNING
        self.store.save_attempt(
            self.id,
            AttemptRecord(
                node=request.node,
                number=request.attempt,
                phase=AttemptPhase.RUNNING,
                runner=self.runner.name,
                log_uri=f"{request.log_dir}/{LOG_FILE}",
                started_at=time.time(),
                memory_limit=self.limits.get((request.node, request.attempt), 0),
            ),
        )

    def finished(self, r: AttemptResult) -> None:
        """Record how an attempt ended, as its result says."""
        phase = (
            AttemptPhase.SUCCEEDED
            if r.ok
            else (AttemptPhase.TIMED_OUT if r.timed_out else AttemptPhase.FAILED)
        )
        if r.error is not None:
            if r.error.kind == ErrorKind.ABORTED:
                phase = AttemptPhase.ABORTED
            elif r.error.code == INTERRUPTED:
                phase = AttemptPhase.INTERRUPTED
        self.save(
            r.node,
            r.attempt,
            phase,
            r.error,
            r.worker,
            r.started_at,
            r.ended_at,
            r.log_uri,
            r.deck_uri,
            self.limits.pop((r.node, r.attempt), 0) if self.limits else 0,
            r.memory_peak,
            ran=True,
        )

    def unstarted(self, node: str, number: int) -> None:
        """Record that attempt ``number`` of ``node`` was handed to the runner's queue but never
        started before its host shut down: it is not charged, and the next host runs it under the
        same number."""
        self.limits.pop((node, number), None)
        current = self.phases.pop((node, number), AttemptPhase.QUEUED)
        if current is not AttemptPhase.QUEUED:
            check_transition(
                ATTEMPT_TRANSITIONS,
                current,
                AttemptPhase.QUEUED,
                f"attempt {node}#{number}",
                _illegal,
            )
        self.store.save_attempt(
            self.id,
            AttemptRecord(
                node=node, number=number, phase=AttemptPhase.QUEUED, runner=self.runner.name
            ),
        )

    def save(
        self,
        node: str,
        number: int,
        phase: AttemptPhase,
        error: ErrorInfo | None,
        worker: str,
        started_at: float | None = None,
        ended_at: float | None = None,
        log_uri: str = "",
        deck_uri: str = "",
        memory_limit: int = 0,
        memory_peak: int = 0,
        *,
        ran: bool = False,
    ) -> None:
        """Record that attempt ``number`` of ``node`` ended in ``phase``; it ends now unless
        ``ended_at`` says otherwise. The change is checked against the declared transitions from
        the phase the attempt was recorded in (QUEUED when none), through RUNNING when the runner
        ``ran`` it and it was not recorded running (its one record is written as it ends)."""
        current = (
            self.phases.pop((node, number), AttemptPhase.QUEUED)
            if self.phases
            else AttemptPhase.QUEUED
        )
        key = (current, ran, phase)
        if key not in _LEGAL:
            what = f"attempt {node}#{number}"
            if ran and current is AttemptPhase.QUEUED:
                path = (current, AttemptPhase.RUNNING, phase)
                check_path(ATTEMPT_TRANSITIONS, path, what, _illegal)
            else:
                check_transition(ATTEMPT_TRANSITIONS, current, phase, what, _illegal)
            _LEGAL.add(key)
        self.store.save_attempt(
            self.id,
            AttemptRecord(
                node=node,
                number=number,
                phase=phase,
                runner=self.runner.name,
                worker=worker,
                log_uri=log_uri,
                deck_uri=deck_uri,
                error=error,
                started_at=started_at,
                ended_at=ended_at if ended_at is not None else time.time(),
                memory_limit=memory_limit,
                memory_peak=memory_peak,
            ),
        )


def grown(task: TaskTemplate, memory: int) -> TaskTemplate:
    """``task`` with its memory limit set to ``memory`` bytes and its request grown in the same
    ratio (never above the limit)."""
    req = task.requests
    old = memory_of(task)
    if req.mem is not None and old:
        ask = min(memory, quantity_bytes(req.mem, f"{task.id.name}.requests.mem") * memory // old)
        req = msgspec.structs.replace(req, mem=format_memory(ask))
    limits = msgspec.structs.replace(task.limits, mem=format_memory(memory))
    return msgspec.structs.replace(task, limits=limits, requests=req)
