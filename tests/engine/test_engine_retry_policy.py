"""One retry policy, driven by the error's kind: the task's retries pay for its own failures, a
platform budget for lost workers; aborted and unschedulable attempts never retry."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from slipstream import task, workflow
from slipstream.errors import WorkerLostError
from slipstream.model import AttemptPhase, AttemptRecord, ErrorInfo, ErrorKind, NodeOverrides
from slipstream.runners import execute_local

pytestmark = pytest.mark.timeout(120)


@task(retries=0)
def dies_once(flag: str) -> int:
    """Kills its own worker the first time (a SYSTEM failure), succeeds the second."""
    if not Path(flag).exists():
        Path(flag).write_text("x")
        os.kill(os.getpid(), 9)
    return 1


@workflow
def lost_worker(flag: str) -> int:
    return dies_once(flag=flag)


@task(retries=5)
def always_dies(n: int) -> int:
    os.kill(os.getpid(), 9)
    return n


@workflow
def doomed(n: int = 0) -> int:
    return always_dies(n=n)


def test_a_lost_worker_is_retried_even_with_no_task_retries(tmp_path: Path) -> None:
    run = execute_local(lost_worker, {"flag": str(tmp_path / "flag")}, runner="local", workers=1)
    assert run.python_outputs() == 1
    attempts = run.executor.store.attempts[run.executor.id]  # type: ignore[attr-defined]
    assert [a.phase.value for a in attempts] == ["FAILED", "SUCCEEDED"]
    assert attempts[0].error is not None and attempts[0].error.kind == "SYSTEM"


def test_system_failures_spend_the_platform_budget_not_the_task_retries() -> None:
    run = execute_local(doomed, {}, runner="local", workers=1)
    with pytest.raises(WorkerLostError):
        run.python_outputs()
    attempts = run.executor.store.attempts[run.executor.id]  # type: ignore[attr-defined]
    assert len(attempts) == 4  # the first and the platform's 3 retries, not the task's 5
    assert {a.error.kind for a in attempts if a.error} == {"SYSTEM"}


def test_policy_by_kind() -> None:
    from slipstream.engine import Budget, RetryPolicy

    t = always_dies.template
    node = _node()
    policy = RetryPolicy(system_retries=1)
    b = Budget()
    user = ErrorInfo(code="user_error", message="x", kind=ErrorKind.USER.value)
    assert [policy.retry(b, user, "USER", t, node) for _ in range(6)] == [True] * 5 + [False]
    b = Budget()
    lost = ErrorInfo(code="worker_lost", message="x", kind=ErrorKind.SYSTEM.value)
    assert [policy.retry(b, lost, "SYSTEM", t, node) for _ in range(2)] == [True, False]
    assert b.user == 0
    aborted = ErrorInfo(code="aborted", message="x", kind=ErrorKind.ABORTED.value)
    assert not policy.retry(Budget(), aborted, "ABORTED", t, node)
    too_big = ErrorInfo(code="unschedulable", message="x", kind=ErrorKind.USER.value)
    assert not policy.retry(Budget(), too_big, "USER", t, node)
    # a node's retries override the task's
    override = _node(retries=0)
    assert not policy.retry(Budget(), user, "USER", t, override)
    # budgets resume from recorded attempts
    recs = [
        AttemptRecord(node="n0", number=1, phase=AttemptPhase.FAILED, error=lost),
        AttemptRecord(node="n0", number=2, phase=AttemptPhase.FAILED, error=user),
    ]
    resumed = Budget.of(recs)
    assert (resumed.user, resumed.system) == (1, 1)


def _node(retries: int | None = None):  # type: ignore[no-untyped-def]
    from slipstream.model import Interface, Node, TaskNode

    return Node(
        id="n0",
        kind=TaskNode(task="always_dies"),
        interface=Interface(),
        overrides=NodeOverrides(retries=retries),
    )


def test_interrupted_attempts_spend_nothing_and_unstarted_ones_keep_their_number() -> None:
    import msgspec

    from slipstream.engine import Budget, Replay, RetryPolicy
    from slipstream.model import NodePhase, NodeRecord, TaskMetadata

    t = always_dies.template
    policy = RetryPolicy(system_retries=0)
    interrupted = ErrorInfo(code="interrupted", message="x", kind=ErrorKind.SYSTEM.value)
    b = Budget()
    assert all(policy.retry(b, interrupted, "SYSTEM", t, _node(retries=0)) for _ in range(10))
    assert (b.user, b.system) == (0, 0)
    # a task's system_retries caps the platform's budget (0: none)
    lost = ErrorInfo(code="worker_lost", message="x", kind=ErrorKind.SYSTEM.value)
    opted_out = msgspec.structs.replace(
        t, metadata=msgspec.structs.replace(t.metadata, system_retries=0)
    )
    assert isinstance(opted_out.metadata, TaskMetadata)
    assert not RetryPolicy().retry(Budget(), lost, "SYSTEM", opted_out, _node())
    assert RetryPolicy().retry(Budget(), lost, "SYSTEM", t, _node())
    # resuming: 1 failed (the task's), 2 interrupted by a restart, 3 never started
    user = ErrorInfo(code="user_error", message="x")
    recs = [
        AttemptRecord(node="n0", number=1, phase=AttemptPhase.FAILED, error=user),
        AttemptRecord(node="n0", number=2, phase=AttemptPhase.INTERRUPTED, error=interrupted),
        AttemptRecord(node="n0", number=3, phase=AttemptPhase.QUEUED),
    ]
    resumed = Budget.of(recs)
    assert (resumed.user, resumed.system) == (1, 0)
    node = NodeRecord(path="n0", phase=NodePhase.RUNNING, attempts=3)
    replay = Replay([node], recs, resume=True)
    assert replay.lost_attempt("n0") == 0  # nothing was lost: 3 never ran
    assert replay.last_attempt("n0") == 2  # so the next attempt is 3 again
