"""Workflows of the connector tests on a server: timer jobs (files in the server's
``SLIPSTREAM_TIMER_JOBS_DIR``, the folder the test counts them in) followed by a python task."""

from __future__ import annotations

from slipstream import task, workflow
from slipstream.extend.backend import Timer


@task(task_config=Timer())
def wait(seconds: float) -> float:
    raise AssertionError("a timer task's body never runs")


@task
def plus_one(x: float) -> float:
    return x + 1


@workflow
def timer_then_python(seconds: float) -> float:
    return plus_one(x=wait(seconds=seconds))
