"""An attempt killed for memory runs again with more memory (times the factor, up to the cap),
without spending the task's retries; its record keeps the limit it ran under and its peak."""

from __future__ import annotations

import time

import pytest

from slipstream import Resources, task, workflow
from slipstream.engine import Budget, RetryPolicy
from slipstream.errors import TaskOutOfMemoryError
from slipstream.model import (
    AttemptPhase,
    AttemptRecord,
    AttemptResult,
    ErrorInfo,
    ErrorKind,
    OomRetry,
    format_memory,
    memory_use,
)
from slipstream.runners import execute_local

pytestmark = pytest.mark.timeout(120)

MiB = 1 << 20


@task(retries=0, limits=Resources(mem="150Mi"))
def grows(mib: int) -> int:
    block = bytearray(mib * MiB)
    for i in range(0, len(block), 4096):
        block[i] = 1
    time.sleep(0.3)  # the watch reads memory every 20 ms
    return len(block) // MiB


@workflow
def needs_more(mib: int) -> int:
    return grows(mib=mib)


def _oom(node: str = "n0", attempt: int = 1, peak: int = 0) -> AttemptResult:
    err = ErrorInfo(code="out_of_memory", message="went over", kind=ErrorKind.OOM.value, node=node)
    return AttemptResult(node, attempt, False, error=err, memory_peak=peak)


def test_memory_grows_by_the_factor_up_to_the_cap_and_spends_no_budget() -> None:
    policy = RetryPolicy(system_retries=0, oom=OomRetry(factor=2, max="500Mi"))
    node = needs_more.compiled.workflow.nodes[0]
    b = Budget()
    assert policy.decide(b, _oom(peak=160 * MiB), grows.template, node) is None
    assert b.memory == 300 * MiB and b.user == 0 and b.system == 0
    assert policy.decide(b, _oom(attempt=2), grows.template, node) is None
    assert b.memory == 500 * MiB  # capped, not 600Mi
    err = policy.decide(b, _oom(attempt=3), grows.template, node)
    assert (
        err is not None and "500Mi, the cap of memory retries (oom_retry max 500Mi)" in err.message
    )


def test_a_resumed_budget_keeps_the_grown_memory() -> None:
    err = ErrorInfo(code="out_of_memory", message="x", kind=ErrorKind.OOM.value)
    records = [
        AttemptRecord("n0", 1, AttemptPhase.FAILED, error=err, memory_limit=100 * MiB),
        AttemptRecord("n0", 2, AttemptPhase.FAILED, error=err, memory_limit=200 * MiB),
    ]
    b = Budget.of(records, OomRetry(factor=1.5, max="1Gi"))
    assert b.memory == 300 * MiB and b.system == 0


def test_messages_spell_quantities() -> None:
    assert format_memory(120 * MiB) == "120Mi" and format_memory(8 << 30) == "8Gi"
    assert format_memory(1000) == "1000"
    assert memory_use(382 * MiB, 200 * MiB) == "382 MiB of 200Mi"
    assert memory_use(0, 200 * MiB) == "over 200Mi"


def test_a_task_killed_for_memory_succeeds_with_twice_the_memory() -> None:
    run = execute_local(needs_more, {"mib": 200}, runner="local", workers=1)
    assert run.python_outputs() == 200
    attempts = run.executor.store.attempts[run.executor.id]  # type: ignore[attr-defined]
    # a worker forked from a large test process starts with more memory: the limit may have to
    # double more than once, each time after an attempt that went over it
    *failed, last = attempts
    assert failed and last.phase.value == "SUCCEEDED"  # retries=0 all the same
    for i, a in enumerate(attempts):
        assert a.memory_limit == (150 * MiB) << i
    for a in failed:
        assert a.error is not None and a.error.kind == ErrorKind.OOM.value
        assert a.memory_peak > a.memory_limit
    assert 200 * MiB < last.memory_peak <= last.memory_limit


def test_at_the_cap_the_node_fails_with_a_message_naming_it() -> None:
    run = execute_local(
        needs_more, {"mib": 400}, runner="local", workers=1, oom_retry=OomRetry(max="300Mi")
    )
    with pytest.raises(TaskOutOfMemoryError):
        run.python_outputs()
    attempts = run.executor.store.attempts[run.executor.id]  # type: ignore[attr-defined]
    assert [a.memory_limit for a in attempts] == [150 * MiB, 300 * MiB]
    node = run.executor.store.node(run.executor.id, "n0")
    assert node is not None and node.error is not None
    assert "the cap of memory retries (oom_retry max 300Mi)" in node.error.message
