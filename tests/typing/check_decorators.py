"""Static typing of the public decorators, checked by mypy in scripts/check (not run by pytest)."""

from __future__ import annotations

import asyncio
from typing import assert_type

from slipstream import PythonTask, PythonWorkflow, Resources, task, workflow
from slipstream.sdk import DynamicTask, LaunchPlan, MapTask, dynamic, eager, map_task


@task
def bare(x: int) -> int:
    return x


@task(retries=2, cache=True, requests=Resources(cpu="1"))
def configured(x: int) -> int:
    return x


@dynamic
def dyn(n: int) -> int:
    return n


@workflow
def wf(x: int) -> int:
    return bare(x=configured(x=x))


# decorated objects keep the function's parameters and return type
assert isinstance(bare, PythonTask)
assert isinstance(dyn, DynamicTask)
assert isinstance(wf, PythonWorkflow)
assert_type(bare(x=1), int)
assert_type(configured(x=1), int)
assert_type(dyn(n=2), int)
assert_type(wf(x=3), int)
assert_type(map_task(bare), MapTask)
assert_type(LaunchPlan.get_or_create(wf), LaunchPlan)


@eager
async def eager_wf(x: int) -> int:
    return x


# an eager workflow called from plain Python is a coroutine, as flytekit's is
assert_type(asyncio.run(eager_wf(x=1)), int)
