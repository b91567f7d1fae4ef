"""Entities that other projects call by reference (issue 10): registered in project ``lib``."""

from __future__ import annotations

from slipstream import LaunchPlan, task, workflow


@task
def double(x: int) -> int:
    return 2 * x


@task
def add(a: int, b: int) -> int:
    if a < 0:
        raise ValueError(f"negative: {a}")
    return a + b


@workflow
def add_wf(a: int, b: int = 1) -> int:
    return add(a=double(x=a), b=b)


scaled = LaunchPlan.create("scaled", add_wf, fixed_inputs={"b": 100})
