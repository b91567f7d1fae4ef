"""Adoption: a node takes its recorded end instead of running again (a :class:`~._replay.Replay`).

A finished node gets its recorded outputs or error; a ``@dynamic`` node that generated its
workflow before runs that workflow again without rerunning its body. On resume, a task node that
runs anew keeps its start and the failures its earlier attempts spent, an attempt that died with
the engine host counts as a SYSTEM failure (one its host interrupted on shutdown counts as nothing),
and its attempts are numbered on from the last recorded one.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from slipstream.errors import FailureCode
from slipstream.model import (
    AttemptPhase,
    CompiledWorkflow,
    ErrorInfo,
    ErrorKind,
    NodePhase,
    TaskNode,
    TaskTemplate,
    decode,
)

from ._children import start_dynamic
from ._retry import Budget

if TYPE_CHECKING:
    from ._attempts import Attempts
    from ._ops import Engine
    from ._scope import NodeRun

__all__ = ["adopt", "resumed_attempt"]


def adopt(ex: Engine, nr: NodeRun) -> bool:
    """Take a node's recorded end (or generated workflow) instead of running it again; False
    when the replay knows neither and the node must run."""
    replay = ex.replay
    assert replay is not None
    path = nr.path
    done = replay.finished(path)
    if done is not None:
        rec = nr.record
        rec.started_at = done.started_at
        rec.attempts = done.attempts
        rec.task = done.task
        rec.item_count = done.item_count
        if done.phase is NodePhase.SUCCEEDED:
            if replay.resume and done.outputs_uri:
                rec.outputs_uri = done.outputs_uri
            ex.node_succeeded(nr, replay.outputs(done), done.cache)
        else:
            err = done.error or ErrorInfo(code=FailureCode.FAILED, message="node failed")
            ex.node_failed(nr, err, None, done.phase)
        return True
    generated = replay.generated(path)
    if generated and type(nr.node.kind) is TaskNode:
        task = nr.scope.tasks[nr.node.kind.task]
        nr.task = task
        nr.record.task = task.id.name
        nr.record.started_at = time.time()
        start_dynamic(ex, nr, decode(generated, CompiledWorkflow), generated)
        return True
    if replay.resume:
        nr.budget = Budget.of(replay.attempts.get(path, ()), ex.retry_policy.oom)
        known = replay.nodes.get(path)
        if known is not None:  # it keeps its start and its count of attempts across hosts
            nr.record.started_at = known.started_at
            nr.record.attempts = known.attempts
    return False


def resumed_attempt(ex: Engine, nr: NodeRun, task: TaskTemplate, attempts: Attempts) -> int:
    """The number of the first attempt a resumed task node runs; 0 when its attempt that died
    with the engine host was its last try and the node failed."""
    replay = ex.replay
    assert replay is not None
    lost = replay.lost_attempt(nr.path)
    if lost:  # its attempt died with the engine host: a SYSTEM failure
        err = ErrorInfo(
            code=FailureCode.ATTEMPT_LOST,
            message="the engine host running this attempt stopped",
            kind=ErrorKind.SYSTEM,
            node=nr.path,
        )
        began = next((a for a in replay.attempts.get(nr.path, ()) if a.number == lost), None)
        attempts.save(  # it keeps its start, worker and log from the record made as it ran
            nr.path,
            lost,
            AttemptPhase.FAILED,
            err,
            worker=began.worker if began is not None else "",
            started_at=began.started_at if began is not None else None,
            log_uri=began.log_uri if began is not None else "",
            memory_limit=began.memory_limit if began is not None else 0,
        )
        if not ex.retry_policy.retry(nr.budget, err, err.kind, task, nr.node):
            ex.node_failed(nr, err, None)
            return 0
    return replay.last_attempt(nr.path) + 1
