"""Workflows for the metrics test: one that succeeds through a cached task, one that fails."""

from __future__ import annotations

from slipstream import task, workflow


@task(cache=True, cache_version="1")
def double(x: int) -> int:
    return x * 2


@task
def boom(x: int) -> int:
    raise ValueError(f"boom {x}")


@workflow
def twice(x: int) -> int:
    return double(x=x)


@workflow
def fails(x: int) -> int:
    return boom(x=x)
