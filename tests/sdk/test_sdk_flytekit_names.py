"""flytekit names and helpers: create_node, LaunchPlan.create and the default launch plan."""

from __future__ import annotations

import pytest

from slipstream import CompileError, LaunchPlan, Resources, create_node, task, workflow


@task
def add_one(x: int) -> int:
    return x + 1


@task
def square(x: int) -> int:
    return x * x


@task
def announce() -> None:
    print("starting")


@workflow
def nodes_wf(x: int) -> int:
    start = create_node(announce)
    a = create_node(add_one, x=x)
    b = create_node(square, x=a.o0).with_overrides(retries=2, requests=Resources(cpu="1"))
    start >> a
    return b.o0


def test_create_node_outputs_are_attributes_ordered_and_overridable() -> None:
    assert nodes_wf(x=2) == 9
    n_start, n_a, n_b = nodes_wf.compiled.workflow.nodes
    assert n_start.id in n_a.upstream
    assert n_a.id in n_b.upstream
    assert n_b.overrides.retries == 2


def test_create_node_unknown_output_names_the_outputs() -> None:
    with pytest.raises(CompileError, match=r"has no output 'o1'; outputs are o0"):

        @workflow
        def bad(x: int) -> int:
            return create_node(add_one, x=x).o1  # type: ignore[no-any-return]


@workflow
def plain_wf(x: int, y: int = 1) -> int:
    return add_one(x=square(x=x))


def test_launch_plan_create_and_default_launch_plan() -> None:
    lp = LaunchPlan.create("plain_fixed", plain_wf, fixed_inputs={"x": 3}, auto_activate=True)
    assert lp() == 10
    again = LaunchPlan.create("plain_fixed", plain_wf, fixed_inputs={"x": 4})
    assert again() == 17  # create replaces a launch plan of the same name
    default = LaunchPlan.get_default_launch_plan(None, plain_wf)
    assert default is LaunchPlan.get_or_create(plain_wf)
    assert default(x=2) == 5
    with pytest.raises(TypeError, match="unexpected option"):
        LaunchPlan.create("typo", plain_wf, fixed_inptus={"x": 1})
