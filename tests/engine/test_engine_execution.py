"""The engine (issue 3, §5): retries, timeouts, failure policies, parallelism."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from slipstream import WorkflowFailurePolicy, current_context, task, workflow
from slipstream.model import AttemptPhase, ExecutionPhase, NodePhase
from slipstream.runners import execute_local

RUNNERS = ["inline", "local"]


class Fatal(Exception):
    pass


@task(retries=3)
def flaky(x: int) -> int:
    n = current_context().attempt_number
    if n < 2:
        raise ConnectionError(f"flaky attempt {n}")  # any exception is retried
    return x * 100 + n


@task(retries=3, non_retryable=[Fatal])
def fatal(x: int) -> int:
    raise Fatal(f"never retry {x}")


@task(retries=1)
def always_fails(x: int) -> int:
    raise ValueError(f"always {x}")


@task(timeout=0.5)
def too_slow(x: int) -> int:
    time.sleep(10)
    return x


@task(timeout=0.5, retries=1)
def slow_then_fast(x: int) -> int:
    if current_context().attempt_number == 0:
        time.sleep(10)
    return x + 1


@task
def fail_now(x: int) -> int:
    raise ValueError(f"fail {x}")


@task
def write_after(path: str, delay: float) -> str:
    time.sleep(delay)
    Path(path).write_text("done")
    return path


@task
def nap(s: float) -> float:
    time.sleep(s)
    return s


@task
def plus(x: int) -> int:
    return x + 1


@workflow
def wf_flaky(x: int) -> int:
    return flaky(x=x)


@workflow
def wf_fatal(x: int) -> int:
    return fatal(x=x)


@workflow
def wf_always(x: int) -> int:
    return always_fails(x=x)


@workflow
def wf_too_slow(x: int) -> int:
    return too_slow(x=x)


@workflow
def wf_slow_then_fast(x: int) -> int:
    return slow_then_fast(x=x)


@workflow
def wf_fail_fast(path: str) -> str:
    bad = fail_now(x=1)
    plus(x=bad)
    return write_after(path=path, delay=0.2)


@workflow(failure_policy=WorkflowFailurePolicy.FAIL_AFTER_EXECUTABLE_NODES_COMPLETE)
def wf_fail_late(path: str) -> str:
    bad = fail_now(x=1)
    plus(x=bad)
    return write_after(path=path, delay=0.2)


@workflow
def wf_naps() -> tuple[float, float, float, float]:
    return nap(s=0.3), nap(s=0.3), nap(s=0.3), nap(s=0.3)


def _attempts(run, node: str):  # type: ignore[no-untyped-def]
    return [a for a in run.executor.store.attempts.get(run.executor.id, []) if a.node == node]


def _nodes(run):  # type: ignore[no-untyped-def]
    return {r.path: r for r in run.executor.store.nodes(run.executor.id)}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("runner", RUNNERS)
def test_any_exception_is_retried(runner: str) -> None:
    run = execute_local(wf_flaky, {"x": 1}, runner=runner, workers=1)
    assert run.python_outputs() == 102
    att = _attempts(run, "n0")
    assert [a.phase for a in att] == [
        AttemptPhase.FAILED,
        AttemptPhase.FAILED,
        AttemptPhase.SUCCEEDED,
    ]
    assert att[0].error is not None and "ConnectionError" in att[0].error.type
    assert _nodes(run)["n0"].attempts == 3


@pytest.mark.timeout(60)
@pytest.mark.parametrize("runner", RUNNERS)
def test_non_retryable_exception_is_not_retried(runner: str) -> None:
    run = execute_local(wf_fatal, {"x": 1}, runner=runner, workers=1)
    with pytest.raises(Fatal, match="never retry 1"):
        run.python_outputs()
    assert len(_attempts(run, "n0")) == 1


@pytest.mark.timeout(60)
def test_retries_are_exhausted_then_the_node_fails() -> None:
    run = execute_local(wf_always, {"x": 3}, runner="inline")
    with pytest.raises(ValueError, match="always 3"):
        run.python_outputs()
    assert len(_attempts(run, "n0")) == 2
    assert _nodes(run)["n0"].phase is NodePhase.FAILED
    assert run.record.phase is ExecutionPhase.FAILED


@pytest.mark.timeout(60)
@pytest.mark.parametrize("runner", RUNNERS)
def test_timeout_stops_the_attempt_and_fails(runner: str) -> None:
    t0 = time.monotonic()
    run = execute_local(wf_too_slow, {"x": 1}, runner=runner, workers=1)
    assert time.monotonic() - t0 < 8
    with pytest.raises(TimeoutError):
        run.python_outputs()
    assert _nodes(run)["n0"].phase is NodePhase.TIMED_OUT
    assert [a.phase for a in _attempts(run, "n0")] == [AttemptPhase.TIMED_OUT]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("runner", RUNNERS)
def test_timeout_counts_as_a_failure_and_is_retried(runner: str) -> None:
    t0 = time.monotonic()
    run = execute_local(wf_slow_then_fast, {"x": 1}, runner=runner, workers=1)
    assert run.python_outputs() == 2
    assert time.monotonic() - t0 < 8
    phases = [a.phase for a in _attempts(run, "n0")]
    assert phases == [AttemptPhase.TIMED_OUT, AttemptPhase.SUCCEEDED]


@pytest.mark.timeout(60)
def test_fail_immediately_stops_at_the_first_failure(tmp_path: Path) -> None:
    path = tmp_path / "independent.txt"
    run = execute_local(wf_fail_fast, {"path": str(path)}, runner="inline")
    with pytest.raises(ValueError, match="fail 1"):
        run.python_outputs()
    nodes = _nodes(run)
    assert nodes["n0"].phase is NodePhase.FAILED
    assert nodes["n2"].phase is not NodePhase.SUCCEEDED
    assert not path.exists()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("runner", RUNNERS)
def test_fail_after_executable_nodes_complete(tmp_path: Path, runner: str) -> None:
    path = tmp_path / "independent.txt"
    run = execute_local(wf_fail_late, {"path": str(path)}, runner=runner, workers=2)
    with pytest.raises(ValueError, match="fail 1"):
        run.python_outputs()
    nodes = _nodes(run)
    assert nodes["n0"].phase is NodePhase.FAILED
    assert nodes["n1"].phase is NodePhase.SKIPPED  # downstream of the failure
    assert nodes["n2"].phase is NodePhase.SUCCEEDED  # independent: still finishes
    assert path.read_text() == "done"
    assert run.record.phase is ExecutionPhase.FAILED
    assert run.record.error is not None and run.record.error.node == "n0"


def _intervals(run) -> list[tuple[float, float]]:  # type: ignore[no-untyped-def]
    out = []
    for a in run.executor.store.attempts[run.executor.id]:
        assert a.started_at is not None and a.ended_at is not None
        out.append((a.started_at, a.ended_at))
    return sorted(out)


def _max_overlap(intervals: list[tuple[float, float]]) -> int:
    events = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals])
    best = cur = 0
    for _, d in events:
        cur += d
        best = max(best, cur)
    return best


@pytest.mark.timeout(60)
def test_local_runner_runs_independent_nodes_in_parallel() -> None:
    run = execute_local(wf_naps, {}, runner="local", workers=2)
    assert run.python_outputs() == (0.3, 0.3, 0.3, 0.3)
    assert _max_overlap(_intervals(run)) == 2  # two workers busy at once, never more


@pytest.mark.timeout(60)
def test_max_parallelism_bounds_concurrency() -> None:
    run = execute_local(wf_naps, {}, runner="local", workers=2, max_parallelism=1)
    assert run.python_outputs() == (0.3, 0.3, 0.3, 0.3)
    assert _max_overlap(_intervals(run)) == 1


@pytest.mark.timeout(60)
def test_inline_runner_runs_one_node_at_a_time() -> None:
    run = execute_local(wf_naps, {}, runner="inline")
    assert _max_overlap(_intervals(run)) == 1
