"""``current_context()`` inside tasks, inline and in worker processes (issue 3, §2)."""

from __future__ import annotations

import json
import os

import pytest

from slipstream import current_context, task, workflow
from slipstream.runners import execute_local

RUNNERS = ["inline", "local"]


@task
def describe(tag: str) -> dict[str, str]:
    ctx = current_context()
    wd = ctx.working_directory
    assert os.path.isdir(wd)
    assert os.listdir(wd) == []  # fresh
    with open(os.path.join(wd, "scratch.txt"), "w") as f:
        f.write(tag)
    ctx.logging.info("describing %s", tag)
    eid = ctx.execution_id
    return {
        "wd": wd,
        "project": eid.project,
        "domain": eid.domain,
        "name": eid.name,
        "attempt": str(ctx.attempt_number),
    }


@task(retries=2)
def resumable(n: int) -> str:
    """Fails twice; each attempt reads what the previous one checkpointed."""
    ctx = current_context()
    cp = ctx.checkpoint
    wd = ctx.working_directory
    seen = os.listdir(wd)
    with open(os.path.join(wd, "marker"), "w") as f:
        f.write("x")
    prev = cp.read()
    state = json.loads(prev) if prev is not None else {"log": []}
    state["log"].append(
        {
            "attempt": ctx.attempt_number,
            "prev_exists": cp.prev_exists(),
            "had_prev": prev is not None,
            "wd": wd,
            "wd_was_empty": seen == [],
        }
    )
    if ctx.attempt_number < 2:
        cp.write(json.dumps(state).encode())
        raise RuntimeError(f"attempt {ctx.attempt_number} fails on purpose")
    return json.dumps(state)


@workflow
def two_describes() -> tuple[dict[str, str], dict[str, str]]:
    return describe(tag="a"), describe(tag="b")


@workflow
def wf_resume(n: int) -> str:
    return resumable(n=n)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("runner", RUNNERS)
def test_context_identifies_the_execution(runner: str) -> None:
    run = execute_local(two_describes, {}, runner=runner, workers=2, name=f"ctx-{runner}")
    a, b = run.python_outputs()
    for d in (a, b):
        assert d["project"] == run.executor.id.project
        assert d["domain"] == run.executor.id.domain
        assert d["name"] == f"ctx-{runner}"
        assert d["attempt"] == "0"
    assert a["wd"] != b["wd"]  # a working directory per attempt


@pytest.mark.timeout(60)
@pytest.mark.parametrize("runner", RUNNERS)
def test_retried_attempt_reads_the_previous_checkpoint(runner: str) -> None:
    run = execute_local(wf_resume, {"n": 1}, runner=runner, workers=1)
    log = json.loads(run.python_outputs())["log"]
    assert [e["attempt"] for e in log] == [0, 1, 2]
    assert [e["prev_exists"] for e in log] == [False, True, True]
    assert [e["had_prev"] for e in log] == [False, True, True]
    assert all(e["wd_was_empty"] for e in log)
    assert len({e["wd"] for e in log}) == 3  # fresh per attempt
    attempts = [a for a in run.executor.store.attempts[run.executor.id] if a.node == "n0"]
    assert [a.number for a in attempts] == [1, 2, 3]


@pytest.mark.timeout(30)
def test_context_outside_a_task_is_usable() -> None:
    ctx = current_context()
    assert os.path.isdir(ctx.working_directory)
    assert ctx.checkpoint.prev_exists() is False
    assert ctx.checkpoint.read() is None
