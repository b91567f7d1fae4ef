"""Constructs nested in one another (issue 4): maps, dynamics, subworkflows, conditionals."""

from __future__ import annotations

import pytest

from slipstream import conditional, dynamic, map_task, task, workflow
from slipstream.runners import execute_local


@task
def square(x: int) -> int:
    return x * x


@task
def total(xs: list[int]) -> int:
    return sum(xs)


@dynamic
def sum_of_squares(n: int) -> int:
    return total(xs=[square(x=i) for i in range(n)])


@workflow
def mapped_sub(xs: list[int]) -> int:
    return total(xs=map_task(square)(x=xs))


@dynamic
def dyn_of_subs(n: int) -> list[int]:
    # a dynamic that calls, per value, a subworkflow that holds a map
    return [mapped_sub(xs=list(range(i + 1))) for i in range(n)]


@workflow
def sub_with_dynamic_and_branch(n: int) -> int:
    s = sum_of_squares(n=n)
    return conditional("sign").if_(s > 4).then(square(x=s)).else_().then(total(xs=[s, n]))


@workflow
def top(n: int) -> tuple[list[int], int]:
    return dyn_of_subs(n=n), sub_with_dynamic_and_branch(n=n)


@workflow
def map_of_dynamics(ns: list[int]) -> list[int]:
    return map_task(sum_of_squares)(n=ns)


@workflow
def map_of_dynamics_outer(ns: list[int]) -> int:
    return total(xs=map_of_dynamics(ns=ns))


@pytest.mark.timeout(60)
@pytest.mark.parametrize("runner", ["inline", "local"])
def test_map_inside_subworkflow_inside_dynamic(runner: str) -> None:
    run = execute_local(top, {"n": 3}, runner=runner, workers=2)
    # mapped_sub([0]) = 0, ([0, 1]) = 1, ([0, 1, 2]) = 5 ; sum_of_squares(3) = 5 > 4 -> 25
    assert run.python_outputs() == ([0, 1, 5], 25)
    paths = {r.path for r in run.executor.store.nodes(run.executor.id)}
    assert any(p.startswith("n0/dyn/") and p.count("/") >= 3 for p in paths)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("runner", ["inline", "local"])
def test_dynamic_inside_map_inside_subworkflow(runner: str) -> None:
    run = execute_local(map_of_dynamics_outer, {"ns": [1, 2, 3]}, runner=runner, workers=2)
    assert run.python_outputs() == 0 + 1 + 5
    paths = {r.path for r in run.executor.store.nodes(run.executor.id)}
    assert "n0/n0" in paths  # the map node inside the subworkflow
