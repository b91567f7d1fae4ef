"""Workflows for ``bench/connectors_bench.py``: 500 timer jobs at once, and one alone."""

from __future__ import annotations

from slipstream import task, workflow
from slipstream.extend.backend import Timer

JOBS = 500


@task(task_config=Timer())
def wait(seconds: float) -> float:
    raise AssertionError("a timer task's body never runs")


@workflow
def timers(seconds: float = 2.0) -> None:
    for _ in range(JOBS):
        wait(seconds=seconds)


@workflow
def one_timer(seconds: float = 2.0) -> float:
    return wait(seconds=seconds)
