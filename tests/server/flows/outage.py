"""Workflows for the outage tests: a chain of sequential sleeping tasks (long enough for an
outage to land mid-run) that looks the cache up between them, and one quick task."""

from __future__ import annotations

import time

from slipstream import task, workflow


@task
def nap(i: int, delay: float) -> int:
    time.sleep(delay)
    return i + 1


@task(cache=True, cache_version="1")
def remember(i: int) -> int:
    return i


@workflow
def chain(delay: float = 0.5) -> int:
    """Six naps one after the other, with cache lookups between them."""
    a = nap(i=0, delay=delay)
    b = nap(i=remember(i=a), delay=delay)
    c = nap(i=remember(i=b), delay=delay)
    d = nap(i=c, delay=delay)
    e = nap(i=d, delay=delay)
    return nap(i=e, delay=delay)


@workflow
def once(x: int = 1) -> int:
    return nap(i=x, delay=0.0)


@task
def shout(s: str) -> str:
    return s.upper()


@workflow
def say(s: str = "hi") -> str:
    return shout(s=s)


@task
def huge(x: int) -> list:  # type: ignore[type-arg]
    return [2**70 + x]  # an output the worker's wire cannot carry


@workflow
def too_big(x: int = 1) -> list:  # type: ignore[type-arg]
    return huge(x=x)
