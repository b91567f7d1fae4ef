"""flytekit semantics the engine owns (issue 10): ``else_().fail`` as a ``ValueError``, the task's
own exception named by task and node, datetime branch conditions, echoes without a worker, and
``@task async def``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from slipstream import Echo, ExecutionFailedError, conditional, kwtypes, task, workflow
from slipstream.errors import BranchFailedError
from slipstream.model import NodePhase
from slipstream.runners import execute_local

RUNNERS = ["inline", "local"]


@task
def ident(x: int) -> int:
    return x


@workflow
def guarded(x: int) -> int:
    return conditional("guard").if_(x > 0).then(ident(x=x)).else_().fail("x must be positive")


@pytest.mark.parametrize("runner", RUNNERS)
def test_else_fail_raises_a_value_error(runner: str) -> None:
    run = execute_local(guarded, {"x": -1}, runner=runner, workers=1)
    with pytest.raises(ValueError, match="x must be positive") as ei:
        run.python_outputs()
    assert isinstance(ei.value, BranchFailedError)
    assert isinstance(ei.value, ExecutionFailedError)
    assert ei.value.node == "n1"  # the branch node (its case's node took n0)
    assert ei.value.code == "branch_failed"


class QuotaExceeded(Exception):
    """A user's own exception class."""


@task
def charge(amount: int) -> int:
    if amount > 10:
        raise QuotaExceeded(f"amount {amount} over quota")
    return amount


@task
def lookup(key: str) -> int:
    return {"a": 1}[key]


@workflow
def charge_twice(amount: int) -> int:
    return charge(amount=charge(amount=amount))


@workflow
def looks_up(key: str) -> int:
    return lookup(key=key)


@pytest.mark.parametrize("runner", RUNNERS)
def test_a_task_exception_keeps_its_class_and_its_message_names_task_and_node(
    runner: str,
) -> None:
    run = execute_local(charge_twice, {"amount": 11}, runner=runner, workers=1)
    with pytest.raises(QuotaExceeded) as ei:
        run.python_outputs()
    # as flytekit shows it locally: where, then the task's own message
    assert str(ei.value) == f"task {charge.name} (node n0): amount 11 over quota"
    notes = "\n".join(ei.value.__notes__)
    assert f"in node n0 of execution {run.executor.id}" in notes
    # raising it again does not repeat the prefix
    with pytest.raises(QuotaExceeded) as again:
        run.python_outputs()
    assert str(again.value).count("task ") == 1
    # the record keeps the task's own message
    rec = {r.path: r for r in run.executor.store.nodes(run.executor.id)}["n0"]
    assert rec.error is not None and rec.error.message == "amount 11 over quota"


def test_an_exception_with_its_own_str_keeps_its_args_and_gets_a_note() -> None:
    run = execute_local(looks_up, {"key": "zz"})
    with pytest.raises(KeyError) as ei:
        run.python_outputs()
    assert ei.value.args == ("zz",)
    assert any(f"in task {lookup.name}" in n for n in ei.value.__notes__)
    assert any("in node n0" in n for n in ei.value.__notes__)


@task
def tag(s: str) -> str:
    return s


@workflow
def before_noon_utc(when: dt.datetime, limit: dt.datetime) -> str:
    return conditional("when").if_(when < limit).then(tag(s="before")).else_().then(tag(s="after"))


@workflow
def after_constant(when: dt.datetime) -> str:
    limit = dt.datetime(2024, 1, 1, 12, 0, tzinfo=dt.UTC)
    return conditional("const").if_(when > limit).then(tag(s="after")).else_().then(tag(s="not"))


def test_datetime_conditions_compare_instants_not_strings() -> None:
    plus2 = dt.timezone(dt.timedelta(hours=2))
    # 13:00+02:00 is 11:00 UTC: before noon UTC, though "13:00" > "12:00" as text
    when = dt.datetime(2024, 1, 1, 13, 0, tzinfo=plus2)
    limit = dt.datetime(2024, 1, 1, 12, 0, tzinfo=dt.UTC)
    assert before_noon_utc(when=when, limit=limit) == "before"
    assert before_noon_utc(when=limit, limit=when) == "after"
    # a datetime constant in the condition
    assert after_constant(when=when) == "not"
    assert after_constant(when=dt.datetime(2024, 1, 1, 14, 30, tzinfo=plus2)) == "after"


passthrough = Echo(name="passthrough", inputs=kwtypes(a=int, b=str))


@task
def join(a: int, b: str) -> str:
    return f"{b}{a}"


@workflow
def echo_wf(a: int) -> str:
    x, y = passthrough(a=a, b="n")
    return join(a=x, b=y)


@pytest.mark.parametrize("runner", RUNNERS)
def test_echo_is_answered_by_the_engine_without_an_attempt(runner: str) -> None:
    run = execute_local(echo_wf, {"a": 4}, runner=runner, workers=1)
    assert run.python_outputs() == "n4"
    recs = {r.path: r for r in run.executor.store.nodes(run.executor.id)}
    assert recs["n0"].phase is NodePhase.SUCCEEDED
    assert recs["n0"].outputs == {"a": 4, "b": "n"}
    assert recs["n0"].attempts == 0
    attempts = run.executor.store.attempts[run.executor.id]
    assert [a.node for a in attempts] == ["n1"]  # only the real task ran on the runner


@task
async def async_square(x: int) -> int:
    import asyncio

    await asyncio.sleep(0)
    return x * x


@workflow
def async_wf(x: int) -> int:
    return async_square(x=x)


@pytest.mark.parametrize("runner", RUNNERS)
def test_a_coroutine_task_is_awaited(runner: str, tmp_path: Path) -> None:
    run = execute_local(async_wf, {"x": 7}, runner=runner, workers=1)
    assert run.python_outputs() == 49
