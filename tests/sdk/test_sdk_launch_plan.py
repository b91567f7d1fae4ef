"""``LaunchPlan``, ``CronSchedule`` and ``FixedRate`` (issue 4)."""

from __future__ import annotations

import datetime
import uuid

import pytest

from slipstream import (
    CompileError,
    CronSchedule,
    FixedRate,
    LaunchPlan,
    SlipstreamError,
    task,
    workflow,
)


@task
def greet(name: str, greeting: str, times: int) -> str:
    return " ".join([f"{greeting} {name}"] * times)


@workflow
def hello(name: str, greeting: str = "hello", times: int = 1) -> str:
    return greet(name=name, greeting=greeting, times=times)


@workflow
def scheduled(kickoff: datetime.datetime, n: int = 1) -> str:
    return greet(name=str(n), greeting="at", times=1)


def _name() -> str:
    return f"lp_{uuid.uuid4().hex[:8]}"


@pytest.mark.timeout(30)
def test_get_or_create_returns_the_same_object_for_the_same_arguments() -> None:
    name = _name()
    a = LaunchPlan.get_or_create(hello, name=name, default_inputs={"name": "ann"})
    b = LaunchPlan.get_or_create(hello, name=name, default_inputs={"name": "ann"})
    assert a is b
    assert LaunchPlan.get_or_create(hello) is LaunchPlan.get_or_create(hello)


@pytest.mark.timeout(30)
def test_name_reused_with_other_arguments_is_an_error() -> None:
    name = _name()
    LaunchPlan.get_or_create(hello, name=name, default_inputs={"name": "ann"})
    with pytest.raises(SlipstreamError, match=name):
        LaunchPlan.get_or_create(hello, name=name, default_inputs={"name": "bob"})


@pytest.mark.timeout(30)
def test_default_inputs_can_be_overridden() -> None:
    lp = LaunchPlan.get_or_create(hello, name=_name(), default_inputs={"name": "ann", "times": 2})
    assert lp() == "hello ann hello ann"
    assert lp(name="bob") == "hello bob hello bob"
    assert lp(times=1, greeting="hi") == "hi ann"


@pytest.mark.timeout(30)
def test_fixed_input_cannot_be_overridden() -> None:
    lp = LaunchPlan.get_or_create(hello, name=_name(), fixed_inputs={"greeting": "hey"})
    assert lp(name="cy") == "hey cy"
    with pytest.raises(SlipstreamError, match="'greeting'") as ei:
        lp(name="cy", greeting="yo")
    assert "fixed" in str(ei.value)


@pytest.mark.timeout(30)
def test_fixed_input_overridden_inside_a_workflow_is_a_compile_error() -> None:
    lp = LaunchPlan.get_or_create(hello, name=_name(), fixed_inputs={"greeting": "hey"})
    with pytest.raises(CompileError, match="'greeting'") as ei:

        @workflow
        def wf_override(name: str) -> str:
            return lp(name=name, greeting="yo")

    assert __file__ in str(ei.value)


@pytest.mark.timeout(30)
def test_unknown_input_in_launch_plan_is_an_error() -> None:
    with pytest.raises(CompileError, match="'nope'"):
        LaunchPlan.get_or_create(hello, name=_name(), default_inputs={"nope": 1})


@pytest.mark.timeout(30)
def test_launch_plan_as_a_node_in_another_workflow() -> None:
    lp = LaunchPlan.get_or_create(
        hello, name=_name(), default_inputs={"times": 2}, fixed_inputs={"greeting": "yo"}
    )

    @workflow
    def parent(who: str) -> str:
        first = lp(name=who)
        return greet(name=first, greeting="re:", times=1)

    assert parent(who="dee") == "re: yo dee yo dee"


@pytest.mark.timeout(30)
def test_cron_schedule() -> None:
    cron = CronSchedule(schedule="*/5 * * * *", kickoff_time_input_arg="kickoff")
    lp = LaunchPlan.get_or_create(scheduled, name=_name(), schedule=cron)
    assert lp.spec.schedule is not None
    assert CronSchedule(schedule="@daily").cron == "0 0 * * *"


@pytest.mark.timeout(30)
@pytest.mark.parametrize("expr", ["not a cron", "61 * * * *", "* * * *", ""])
def test_bad_cron_expression_is_an_error_at_definition(expr: str) -> None:
    with pytest.raises(CompileError):
        CronSchedule(schedule=expr)


@pytest.mark.timeout(30)
def test_kickoff_arg_must_be_an_input() -> None:
    with pytest.raises(CompileError, match="kickoff"):
        LaunchPlan.get_or_create(
            hello,
            name=_name(),
            default_inputs={"name": "x"},
            schedule=CronSchedule(schedule="@hourly", kickoff_time_input_arg="missing"),
        )


@pytest.mark.timeout(30)
def test_scheduled_launch_plan_needs_every_input() -> None:
    with pytest.raises(CompileError, match="name"):
        LaunchPlan.get_or_create(
            hello, name=_name(), schedule=FixedRate(datetime.timedelta(hours=1))
        )


@pytest.mark.timeout(30)
def test_fixed_rate() -> None:
    rate = FixedRate(duration=datetime.timedelta(minutes=10))
    lp = LaunchPlan.get_or_create(hello, name=_name(), fixed_inputs={"name": "cron"}, schedule=rate)
    assert lp.spec.schedule is not None
    with pytest.raises(CompileError):
        FixedRate(duration=datetime.timedelta(seconds=5))
    with pytest.raises(CompileError):
        FixedRate(duration=60)  # type: ignore[arg-type]
