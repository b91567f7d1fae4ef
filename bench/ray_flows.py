"""Workflows of bench_ray.py (imported by Ray's actors from this folder)."""

from __future__ import annotations

import time

from slipstream import map_task, task, workflow


@task
def inc(x: int) -> int:
    return x + 1


@workflow
def chain100(x: int = 0) -> int:
    for _ in range(100):
        x = inc(x=x)
    return x


@task
def spin(x: int) -> int:
    """About 2 ms of CPU."""
    end = time.perf_counter() + 0.002
    n = 0
    while time.perf_counter() < end:
        n += 1
    return x


@task
def count(xs: list[int]) -> int:
    return len(xs)


@workflow
def fanout(xs: list[int]) -> int:
    return count(xs=map_task(spin)(x=xs))


@workflow
def big_map(xs: list[int]) -> int:
    return count(xs=map_task(inc)(x=xs))
