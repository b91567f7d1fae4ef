"""Workflows for the outage tests: a chain of sequential sleeping tasks (long enough for an
outage to land mid-run), and one quick task."""

from __future__ import annotations

import time

from slipstream import task, workflow


@task
def nap(i: int, delay: float) -> int:
    time.sleep(delay)
    return i + 1


@workflow
def chain(delay: float = 0.5) -> int:
    a = nap(i=0, delay=delay)
    b = nap(i=a, delay=delay)
    c = nap(i=b, delay=delay)
    d = nap(i=c, delay=delay)
    e = nap(i=d, delay=delay)
    return nap(i=e, delay=delay)


@workflow
def once(x: int = 1) -> int:
    return nap(i=x, delay=0.0)
