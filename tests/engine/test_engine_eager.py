"""``@eager`` (issue 10): async workflow bodies run through the one engine.

Every awaited call is a node ``n0/e{i}`` recorded before it runs, dispatched to the runner, cached
and retried like a static node; failures surface as ``EagerException`` where the body awaits; a
resumed execution answers finished calls from its records instead of running them again.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import msgspec
import pytest

from slipstream import (
    CompileError,
    EagerException,
    LaunchPlan,
    eager,
    map_task,
    task,
    workflow,
)
from slipstream.engine import Executor, MemoryStateStore, Replay
from slipstream.errors import NondeterministicError
from slipstream.model import (
    AttemptRecord,
    CacheStatus,
    ExecutionId,
    ExecutionPhase,
    NodePhase,
    NodeRecord,
)
from slipstream.runners import closure_of, code_root_for, execute_local, make_runner

RUNNERS = ["inline", "local"]
SLIPSTREAM = str(Path(sys.executable).with_name("slipstream"))


def _log(path: str, line: str) -> None:
    with open(path, "a") as f:
        f.write(line + "\n")


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


@task
def add_one(x: int) -> int:
    return x + 1


@task
def double(x: int) -> int:
    return x * 2


@task
def counted(x: int, log: str) -> int:
    _log(log, f"counted {x}")
    return x * 10


@task
def explode(x: int) -> int:
    raise ValueError(f"cannot take {x}")


@task
def slow(x: int, log: str) -> int:
    _log(log, f"start {x} {time.time()}")
    time.sleep(0.4)
    _log(log, f"end {x} {time.time()}")
    return x


@task(cache=True, cache_version="1")
def cached_square(x: int, log: str) -> int:
    _log(log, f"square {x}")
    return x * x


@task(retries=1)
def flaky(x: int, log: str) -> int:
    _log(log, "try")
    if len(_lines(Path(log))) < 2:
        raise RuntimeError("first attempt fails")
    return x


@eager
async def chain(x: int) -> int:
    a = await add_one(x=x)
    return await double(x=a)


@eager
async def fan_out(n: int) -> list[int]:
    outs = await asyncio.gather(*[double(x=i) for i in range(n)])
    return list(outs)


@eager
async def catches(n: int) -> list[int]:
    """Plain control flow on real values, and a failing call caught."""
    outs: list[int] = []
    for i in range(n):
        if i % 2 == 0:
            outs.append(await double(x=i))
        else:
            try:
                outs.append(await explode(x=i))
            except EagerException as e:
                assert isinstance(e.__cause__, ValueError)
                outs.append(-i)
    return outs


@eager
async def gather_with_failure(n: int) -> list[int]:
    results = await asyncio.gather(
        *[double(x=i) for i in range(n)], explode(x=99), return_exceptions=True
    )
    return [r if isinstance(r, int) else -1 for r in results]


@eager
async def uncaught(x: int) -> int:
    return await explode(x=x)


@eager
async def parallel(n: int, log: str) -> list[int]:
    return list(await asyncio.gather(*[slow(x=i, log=log) for i in range(n)]))


@eager
async def counted_chain(n: int, log: str) -> int:
    total = 0
    for i in range(n):
        total += await counted(x=i, log=log)
    return total


@eager
async def with_cache(x: int, log: str) -> int:
    return await cached_square(x=x, log=log)


@eager
async def with_retry(x: int, log: str) -> int:
    return await flaky(x=x, log=log)


@eager
async def sleeps(x: int) -> int:
    await asyncio.sleep(0.05)
    return await add_one(x=x)


@workflow
def static_inner(x: int) -> int:
    return double(x=add_one(x=x))


plan = LaunchPlan.get_or_create(static_inner, name="eager_test_plan")


@eager
async def calls_everything(x: int) -> list[int]:
    a = await static_inner(x=x)  # a static workflow
    b = await plan(x=x)  # a launch plan
    c = await chain(x=x)  # another eager workflow
    d = await map_task(double)(x=[x, x + 1])  # a map task
    return [a, b, c, *d]


@eager
async def wrong_call(x: int) -> int:
    return await add_one(y=x)  # type: ignore[call-arg]


@workflow
def static_outer(x: int) -> int:
    return chain(x=add_one(x=x))


def _records(run: Any) -> dict[str, NodeRecord]:
    return {r.path: r for r in run.executor.store.nodes(run.executor.id)}


# -- basics ---------------------------------------------------------------------------------------


@pytest.mark.timeout(60)
@pytest.mark.parametrize("runner", RUNNERS)
def test_awaited_calls_are_recorded_nodes_in_call_order(runner: str) -> None:
    run = execute_local(chain, {"x": 1}, runner=runner, workers=1)
    assert run.python_outputs() == 4
    recs = _records(run)
    assert recs["n0"].phase is NodePhase.SUCCEEDED
    assert recs["n0"].outputs == {"o0": 4}
    assert recs["n0/e0"].task.endswith("add_one")
    assert recs["n0/e0"].inputs == {"x": 1} and recs["n0/e0"].outputs == {"o0": 2}
    assert recs["n0/e1"].task.endswith("double")
    assert recs["n0/e1"].inputs == {"x": 2} and recs["n0/e1"].outputs == {"o0": 4}
    # each call ran as an attempt on the runner
    attempts = run.executor.store.attempts[run.executor.id]
    assert sorted(a.node for a in attempts) == ["n0/e0", "n0/e1"]
    assert {a.runner for a in attempts} == {runner}


def test_calling_an_eager_workflow_returns_a_coroutine_that_runs_it_locally() -> None:
    call = chain(x=5)
    assert inspect.iscoroutine(call)  # as flytekit's: asyncio.run(wf(...)) / await wf(...)
    assert asyncio.run(call) == 12
    assert asyncio.run(fan_out(n=4)) == [0, 2, 4, 6]


def test_wrong_arguments_raise_at_the_call_not_at_the_await() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'y'"):
        chain(y=5)  # type: ignore[call-arg]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("runner", RUNNERS)
def test_control_flow_and_a_caught_failure(runner: str) -> None:
    run = execute_local(catches, {"n": 4}, runner=runner, workers=2)
    assert run.python_outputs() == [0, -1, 4, -3]
    recs = _records(run)
    assert recs["n0/e1"].phase is NodePhase.FAILED
    assert recs["n0/e1"].error is not None and "cannot take 1" in recs["n0/e1"].error.message
    assert recs["n0"].phase is NodePhase.SUCCEEDED


@pytest.mark.timeout(60)
@pytest.mark.parametrize("runner", RUNNERS)
def test_gather_fans_out_and_keeps_siblings_of_a_failure(runner: str) -> None:
    run = execute_local(gather_with_failure, {"n": 5}, runner=runner, workers=2)
    assert run.python_outputs() == [0, 2, 4, 6, 8, -1]
    recs = _records(run)
    assert [recs[f"n0/e{i}"].phase for i in range(5)] == [NodePhase.SUCCEEDED] * 5
    assert recs["n0/e5"].phase is NodePhase.FAILED


@pytest.mark.timeout(60)
@pytest.mark.parametrize("runner", RUNNERS)
def test_an_uncaught_call_failure_fails_the_run_with_eager_exception(runner: str) -> None:
    run = execute_local(uncaught, {"x": 7}, runner=runner, workers=1)
    assert run.record.phase is ExecutionPhase.FAILED
    with pytest.raises(
        EagerException, match=r"call n0/e0 \(.*explode\) failed: cannot take 7"
    ) as ei:
        run.python_outputs()
    cause = ei.value.__cause__
    assert isinstance(cause, ValueError) and "cannot take 7" in str(cause)
    assert ei.value.node == "n0/e0"
    recs = _records(run)
    assert recs["n0"].phase is NodePhase.FAILED
    assert recs["n0"].error is not None and recs["n0"].error.type.endswith("EagerException")


@pytest.mark.timeout(60)
def test_gather_runs_calls_in_parallel_on_the_local_pool(tmp_path: Path) -> None:
    log = tmp_path / "log"
    run = execute_local(parallel, {"n": 4, "log": str(log)}, runner="local", workers=4)
    assert run.python_outputs() == [0, 1, 2, 3]
    starts = [float(line.split()[2]) for line in _lines(log) if line.startswith("start")]
    ends = [float(line.split()[2]) for line in _lines(log) if line.startswith("end")]
    # all four were started before the first one ended: they ran at the same time
    assert len(starts) == 4 and max(starts) < min(ends)


# -- the same policies as static nodes ------------------------------------------------------------


def test_calls_are_cached_per_call(tmp_path: Path) -> None:
    log = tmp_path / "log"
    first = execute_local(with_cache, {"x": 3, "log": str(log)})
    assert first.python_outputs() == 9
    assert _records(first)["n0/e0"].cache is CacheStatus.POPULATED
    second = execute_local(with_cache, {"x": 3, "log": str(log)})
    assert second.python_outputs() == 9
    assert _records(second)["n0/e0"].cache is CacheStatus.HIT
    assert _lines(log) == ["square 3"]


@pytest.mark.parametrize("runner", RUNNERS)
def test_calls_are_retried_per_call(runner: str, tmp_path: Path) -> None:
    log = tmp_path / "log"
    run = execute_local(with_retry, {"x": 5, "log": str(log)}, runner=runner, workers=1)
    assert run.python_outputs() == 5
    assert _records(run)["n0/e0"].attempts == 2
    assert _lines(log) == ["try", "try"]


def test_a_body_that_sleeps_is_stepped_again() -> None:
    run = execute_local(sleeps, {"x": 1})
    assert run.python_outputs() == 2


# -- composition ------------------------------------------------------------------------------------


@pytest.mark.timeout(60)
@pytest.mark.parametrize("runner", RUNNERS)
def test_an_eager_body_awaits_workflows_launch_plans_eagers_and_maps(runner: str) -> None:
    run = execute_local(calls_everything, {"x": 2}, runner=runner, workers=2)
    assert run.python_outputs() == [6, 6, 6, 4, 6]
    recs = _records(run)
    assert recs["n0/e0/n0"].phase is NodePhase.SUCCEEDED  # the subworkflow's nodes nest
    assert recs["n0/e2/e0"].task.endswith("add_one")  # so do the inner eager body's calls
    assert recs["n0/e3"].item_count == 2


@pytest.mark.parametrize("runner", RUNNERS)
def test_a_static_workflow_calls_an_eager_workflow(runner: str) -> None:
    run = execute_local(static_outer, {"x": 1}, runner=runner, workers=1)
    assert run.python_outputs() == 6
    recs = _records(run)
    assert recs["n1"].task.endswith("chain")
    assert recs["n1/e0"].inputs == {"x": 2}


def test_eager_needs_an_async_function() -> None:
    with pytest.raises(CompileError, match="async def"):

        @eager
        def not_async(x: int) -> int:  # pragma: no cover - never runs
            return x


def test_a_bad_call_raises_where_it_is_made() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'y'") as ei:
        asyncio.run(wrong_call(x=1))
    assert "in node n0" in "\n".join(ei.value.__notes__)


def test_awaitable_from_async_code() -> None:
    async def main() -> int:
        return await chain(x=2)

    assert asyncio.run(main()) == 6


# -- durability -------------------------------------------------------------------------------------


class _HostDies(BaseException):
    """Stands for the engine host's process ending."""


class _DyingRunner:
    """Delivers ``deliver`` results, then snapshots the records and dies (as a host would)."""

    def __init__(self, inner: Any, deliver: int, states: MemoryStateStore, ex: ExecutionId):
        self.inner = inner
        self.name = inner.name
        self.left = deliver
        self.states = states
        self.ex = ex
        self.nodes: list[NodeRecord] = []
        self.attempts: list[AttemptRecord] = []

    @property
    def capacity(self) -> int:
        return int(self.inner.capacity)

    def submit(self, request: Any) -> None:
        self.inner.submit(request)

    def wait(self, timeout: float | None) -> list[Any]:
        if self.left <= 0:
            copy = msgspec.json.decode
            enc = msgspec.json.encode
            self.nodes = [copy(enc(n), type=NodeRecord) for n in self.states.nodes(self.ex)]
            self.attempts = [
                copy(enc(a), type=AttemptRecord) for a in self.states.attempts.get(self.ex, [])
            ]
            raise _HostDies()
        results = list(self.inner.wait(timeout))
        self.left -= len(results)
        return results

    def cancel(self, node: str, attempt: int, execution: Any = None) -> None:
        self.inner.cancel(node, attempt, execution)

    def close(self) -> None:
        self.inner.close()


def test_a_resumed_eager_run_does_not_run_finished_calls_again(tmp_path: Path) -> None:
    log = tmp_path / "log"
    inputs = {"n": {"n": 4, "log": str(log)}}["n"]
    exec_id = ExecutionId("local", "development", "eager-resume")
    blobs = f"file://{tmp_path / 'blobs'}"
    states = MemoryStateStore()
    dying = _DyingRunner(make_runner("inline"), 2, states, exec_id)
    first = Executor(
        execution_id=exec_id,
        closure=closure_of(counted_chain),
        inputs=inputs,
        store=states,
        runner=dying,
        catalog=None,
        blob_store=blobs,
        code_root=code_root_for(counted_chain),
    )
    with pytest.raises(_HostDies):
        first.run()
    assert _lines(log) == ["counted 0", "counted 1"]
    recorded = {n.path: n.phase for n in dying.nodes}
    assert recorded["n0/e0"] is NodePhase.SUCCEEDED and recorded["n0/e1"] is NodePhase.SUCCEEDED
    assert recorded["n0/e2"] is NodePhase.RUNNING  # recorded before it ran

    # a new engine host takes the execution over from the records
    states2 = MemoryStateStore()
    for n in dying.nodes:
        states2.save_node(exec_id, n)
    second = Executor(
        execution_id=exec_id,
        closure=closure_of(counted_chain),
        inputs=inputs,
        store=states2,
        runner=make_runner("inline"),
        catalog=None,
        blob_store=blobs,
        code_root=code_root_for(counted_chain),
        replay=Replay(dying.nodes, dying.attempts, resume=True),
    )
    record = second.run()
    assert record.phase is ExecutionPhase.SUCCEEDED
    assert second.outputs == {"o0": 60}
    # the two finished calls were answered from the records; the one in flight ran again
    assert _lines(log) == ["counted 0", "counted 1", "counted 2", "counted 3"]
    again = {n.path: n for n in states2.nodes(exec_id)}
    assert again["n0/e2"].attempts == 2  # its first attempt was lost with the host


# -- the command line -------------------------------------------------------------------------------


@pytest.mark.timeout(120)
def test_slipstream_run_runs_an_eager_workflow(tmp_path: Path) -> None:
    src = tmp_path / "eager_cli_wf.py"
    src.write_text(
        textwrap.dedent(
            """
            import asyncio
            from slipstream import eager, task

            @task
            def inc(x: int) -> int:
                return x + 1

            @eager
            async def wf(n: int) -> list[int]:
                return list(await asyncio.gather(*[inc(x=i) for i in range(n)]))
            """
        )
    )
    env = {**os.environ}
    out = subprocess.run(
        [SLIPSTREAM, "run", str(src), "wf", "--n", "3", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=110,
    )
    assert out.returncode == 0, out.stderr
    assert "[1, 2, 3]" in out.stdout.replace("\n", "").replace(" ", "").replace(
        "[1,2,3]", "[1, 2, 3]"
    )


@eager
async def chain_changed(n: int, log: str) -> int:
    """Resumed in place of counted_chain: its second call is another task."""
    a = await counted(x=0, log=log)
    return a + await double(x=1)


def test_a_resumed_body_that_makes_other_calls_fails_clearly(tmp_path: Path) -> None:
    log = tmp_path / "log"
    inputs = {"n": 4, "log": str(log)}
    exec_id = ExecutionId("local", "development", "eager-nondet")
    blobs = f"file://{tmp_path / 'blobs'}"
    states = MemoryStateStore()
    dying = _DyingRunner(make_runner("inline"), 2, states, exec_id)
    first = Executor(
        execution_id=exec_id, closure=closure_of(counted_chain), inputs=inputs, store=states,
        runner=dying, catalog=None, blob_store=blobs, code_root=code_root_for(counted_chain),
    )  # fmt: skip
    with pytest.raises(_HostDies):
        first.run()
    # the same node now runs a body whose second call differs from the record
    closure = closure_of(counted_chain)
    template = closure.tasks[counted_chain.name]
    changed = msgspec.structs.replace(template, loader=chain_changed.template.loader)
    closure = msgspec.structs.replace(closure, tasks={counted_chain.name: changed})
    second = Executor(
        execution_id=exec_id, closure=closure, inputs=inputs, store=MemoryStateStore(),
        runner=make_runner("inline"), catalog=None, blob_store=blobs,
        code_root=code_root_for(counted_chain),
        replay=Replay(dying.nodes, dying.attempts, resume=True),
    )  # fmt: skip
    second.run()
    assert second.record.phase is ExecutionPhase.FAILED
    with pytest.raises(
        NondeterministicError, match=r"call n0/e1 is .*double now but was .*counted"
    ):
        second.raise_for_failure()


@task
def refuse(x: int) -> int:
    time.sleep(0.1)
    raise ValueError(f"refused {x}")


@eager
async def waits_long(x: int, log: str) -> int:
    try:
        return await slow(x=x, log=log)
    finally:
        _log(log, "body unwound")


@workflow
def sibling_fails(x: int, log: str) -> int:
    a = waits_long(x=x, log=log)
    refuse(x=x)
    return a


def test_a_body_left_waiting_when_its_execution_fails_is_unwound(tmp_path: Path) -> None:
    import gc

    log = tmp_path / "log"
    run = execute_local(sibling_fails, {"x": 1, "log": str(log)}, runner="local", workers=2)
    assert run.record.phase is ExecutionPhase.FAILED
    assert run.executor.error is not None and "refused 1" in run.executor.error.message
    del run
    gc.collect()
    assert "body unwound" in _lines(log)
