"""``with_overrides`` per call site and ``on_failure`` handlers (issue 4)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from slipstream import CompileError, WorkflowError, current_context, task, workflow
from slipstream.model import AttemptPhase, CacheStatus, NodePhase
from slipstream.runners import execute_local


@task
def flaky(x: int) -> int:
    if current_context().attempt_number < 2:
        raise ConnectionError("not yet")
    return x


@task
def slow(x: int) -> int:
    time.sleep(10)
    return x


@task
def counted(counter: str, x: int) -> int:
    with open(counter, "a") as f:
        f.write("x")
    return x


@task(cache=True, cache_version="1")
def cached(counter: str, x: int) -> int:
    with open(counter, "a") as f:
        f.write("x")
    return x


@task
def fail(x: int) -> int:
    raise ValueError(f"boom {x}")


@task
def record_failure(path: str, x: int, err: WorkflowError | None = None) -> None:
    Path(path).write_text(
        json.dumps(
            {
                "x": x,
                "message": err.message if err else None,
                "node": err.failed_node_id if err else None,
            }
        )
    )


@workflow
def wf_retries(x: int) -> int:
    return flaky(x=x).with_overrides(retries=2)


@workflow
def wf_timeout(x: int) -> int:
    return slow(x=x).with_overrides(timeout=0.5)


@workflow
def wf_cache_on(counter: str, x: int) -> int:
    return counted(counter=counter, x=x).with_overrides(cache=True, cache_version="v1")


@workflow
def wf_cache_off(counter: str, x: int) -> int:
    return cached(counter=counter, x=x).with_overrides(cache=False)


@workflow
def wf_named(x: int) -> int:
    return flaky(x=x).with_overrides(name="renamed-step", retries=3)


@workflow(on_failure=record_failure)
def wf_handled(path: str, x: int) -> int:
    return fail(x=x)


@workflow(on_failure=record_failure)
def wf_fine(path: str, x: int) -> int:
    return flaky(x=x).with_overrides(retries=2)


def _nodes(run: Any) -> dict[str, Any]:
    return {r.path: r for r in run.executor.store.nodes(run.executor.id)}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("runner", ["inline", "local"])
def test_retries_override(runner: str) -> None:
    run = execute_local(wf_retries, {"x": 5}, runner=runner, workers=1)
    assert run.python_outputs() == 5
    assert _nodes(run)["n0"].attempts == 3
    with pytest.raises(ConnectionError):
        flaky(x=1)  # the task itself has no retries


@pytest.mark.timeout(60)
@pytest.mark.parametrize("runner", ["inline", "local"])
def test_timeout_override(runner: str) -> None:
    t0 = time.monotonic()
    run = execute_local(wf_timeout, {"x": 1}, runner=runner, workers=1)
    with pytest.raises(TimeoutError):
        run.python_outputs()
    assert time.monotonic() - t0 < 8
    assert _nodes(run)["n0"].phase is NodePhase.TIMED_OUT
    attempts = run.executor.store.attempts[run.executor.id]
    assert [a.phase for a in attempts] == [AttemptPhase.TIMED_OUT]


@pytest.mark.timeout(60)
def test_cache_override_turns_caching_on(tmp_path: Path) -> None:
    counter = tmp_path / "counter"
    args = {"counter": str(counter), "x": 1}
    assert _nodes(execute_local(wf_cache_on, args))["n0"].cache is CacheStatus.POPULATED
    assert _nodes(execute_local(wf_cache_on, args))["n0"].cache is CacheStatus.HIT
    assert counter.read_text() == "x"


@pytest.mark.timeout(60)
def test_cache_override_turns_caching_off(tmp_path: Path) -> None:
    counter = tmp_path / "counter"
    args = {"counter": str(counter), "x": 1}
    assert _nodes(execute_local(wf_cache_off, args))["n0"].cache is CacheStatus.DISABLED
    assert _nodes(execute_local(wf_cache_off, args))["n0"].cache is CacheStatus.DISABLED
    assert counter.read_text() == "xx"


@pytest.mark.timeout(30)
def test_name_override_is_kept_on_the_node() -> None:
    node = wf_named.compiled.workflow.nodes[0]
    assert node.overrides.name == "renamed-step"
    assert node.overrides.retries == 3
    assert wf_named(x=2) == 2


@pytest.mark.timeout(30)
def test_unknown_override_is_a_compile_error() -> None:
    with pytest.raises(CompileError, match="colour"):

        @workflow
        def wf_bad(x: int) -> int:
            return flaky(x=x).with_overrides(colour="red")


@pytest.mark.timeout(60)
@pytest.mark.parametrize("runner", ["inline", "local"])
def test_on_failure_handler_gets_the_inputs_and_the_error(tmp_path: Path, runner: str) -> None:
    path = tmp_path / "failure.json"
    run = execute_local(wf_handled, {"path": str(path), "x": 9}, runner=runner, workers=1)
    with pytest.raises(ValueError, match="boom 9"):
        run.python_outputs()
    got = json.loads(path.read_text())
    assert got["x"] == 9
    assert "boom 9" in got["message"]
    assert got["node"] == "n0"
    assert run.record.error is not None and run.record.error.node == "n0"


@pytest.mark.timeout(30)
def test_on_failure_handler_does_not_run_on_success(tmp_path: Path) -> None:
    path = tmp_path / "failure.json"
    assert wf_fine(path=str(path), x=4) == 4
    assert not path.exists()
