"""Workflows for the engine host's kill tests: every task run leaves a mark (execution, node,
attempt) in the file named by ``SLIPSTREAM_TEST_MARKS``, so a test can count what ran twice."""

from __future__ import annotations

import functools
import os
import time

from slipstream import LaunchPlan, Secret, current_context, map_task, task, workflow


def _mark() -> None:
    path = os.environ.get("SLIPSTREAM_TEST_MARKS")
    if not path:
        return
    ctx = current_context()
    line = f"{ctx.execution_id.name} {ctx.node_id} {ctx.attempt_number}\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


@task
def step(i: int, delay: float) -> int:
    _mark()
    time.sleep(delay)
    return i + 1


@task
def spread(start: int, n: int) -> list[int]:
    _mark()
    return [start + k for k in range(n)]


@task
def item(x: int, delay: float) -> int:
    _mark()
    time.sleep(delay)
    return x * 2


@task
def total(ys: list[int]) -> int:
    _mark()
    return sum(ys)


@workflow
def durable(n: int = 30, delay: float = 0.05) -> int:
    a = step(i=0, delay=delay)
    b = step(i=a, delay=delay)
    xs = spread(start=b, n=n)
    ys = map_task(functools.partial(item, delay=delay))(x=xs)
    c = total(ys=ys)
    return step(i=c, delay=delay)


@task
def sleepy(x: int, delay: float) -> int:
    time.sleep(delay)
    return x


@workflow
def wide(n: int = 100, delay: float = 0.2) -> list[int]:
    xs = spread(start=0, n=n)
    return map_task(functools.partial(sleepy, delay=delay))(x=xs)


@task(cache=True, cache_version="1")
def cached_square(x: int) -> int:
    _mark()
    return x * x


@workflow
def cached(x: int = 3) -> int:
    return cached_square(x=x)


@task
def flaky(x: int, fail_flag: str) -> int:
    _mark()
    if fail_flag and os.path.exists(fail_flag):
        raise RuntimeError(f"{fail_flag} exists")
    return x + 100


@workflow
def recoverable(x: int = 1, fail_flag: str = "") -> int:
    a = step(i=x, delay=0.0)
    b = flaky(x=a, fail_flag=fail_flag)
    return step(i=b, delay=0.0)


@workflow
def inner(x: int = 1) -> int:
    return step(i=x, delay=0.0)


inner_lp = LaunchPlan.get_or_create(inner, name="inner_lp", default_inputs={"x": 2})


@workflow
def outer(x: int = 1) -> int:
    y = inner_lp(x=x)
    return step(i=y, delay=0.0)


slow_lp = LaunchPlan.get_or_create(wide, name="wide_lp", default_inputs={"delay": 0.2})


@workflow
def outer_slow(n: int = 100) -> list[int]:
    return slow_lp(n=n)


@task
def chatty(n: int) -> int:
    for i in range(n):
        print(f"line {i}", flush=True)
        time.sleep(0.4)
    return n


@workflow
def talk(n: int = 10) -> int:
    return chatty(n=n)


@task(secret_requests=[Secret(group="home", key="check", mount_requirement=Secret.MountType.FILE)])
def secret_matches(expected: str) -> bool:
    return bool(current_context().secrets.get("home", "check") == expected)


@workflow
def home_secret(expected: str) -> bool:
    """True when the worker read the secret file kept under the server's home."""
    return secret_matches(expected=expected)
