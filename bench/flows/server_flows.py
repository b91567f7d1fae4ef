"""Workflows for ``bench/bench_server.py``: trivial tasks, so the figures measure the platform."""

from __future__ import annotations

from slipstream import map_task, task, workflow


@task
def noop(x: int) -> int:
    return x


@task
def numbers(n: int) -> list[int]:
    return list(range(n))


@task
def count(xs: list[int]) -> int:
    return len(xs)


@workflow
def fan(n: int = 2000) -> int:
    return count(xs=map_task(noop)(x=numbers(n=n)))


@workflow
def chain5(x: int = 0) -> int:
    return noop(x=noop(x=noop(x=noop(x=noop(x=x)))))


@workflow
def chain200(x: int = 0) -> int:
    y = x
    for _ in range(200):
        y = noop(x=y)
    return y
