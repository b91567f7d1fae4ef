"""Eager workflows for the engine host's tests (issue 10)."""

from __future__ import annotations

import asyncio

from slipstream import EagerException, eager, task, workflow


@task
def square(x: int) -> int:
    return x * x


@task
def refuse(x: int) -> int:
    raise ValueError(f"refused {x}")


@eager
async def squares(n: int) -> list[int]:
    outs = list(await asyncio.gather(*[square(x=i) for i in range(n)]))
    try:
        await refuse(x=n)
    except EagerException:
        outs.append(-1)
    return outs


@workflow
def around(n: int) -> list[int]:
    return squares(n=n)
