"""Tasks and workflows of the connector tests: timer jobs (``slipstream.extend.backend.Timer``)
and connectors of their own that fail in the ways a service does."""

from __future__ import annotations

from typing import Any

from slipstream import task, workflow
from slipstream.extend.backend import (
    AsyncConnectorBase,
    ConnectorRegistry,
    Resource,
    ResourceMeta,
    SyncConnectorBase,
    TaskExecution,
    Timer,
)
from slipstream.model import TaskTemplate


@task(task_config=Timer())
def wait(seconds: float) -> float:
    raise AssertionError("a timer task's body never runs")


@task(task_config=Timer(fail="the timer broke"))
def wait_and_fail(seconds: float) -> float:
    raise AssertionError("never runs")


@task(task_config=Timer(), timeout=0.5, retries=1)
def wait_too_long(seconds: float) -> float:
    raise AssertionError("never runs")


@task
def add(a: float, b: float) -> float:
    return a + b


@workflow
def two_timers(a: float = 0.2, b: float = 0.3) -> float:
    return add(a=wait(seconds=a), b=wait(seconds=b))


class _Config:
    def __init__(self, task_type: str) -> None:
        self.task_type = task_type

    def custom(self) -> dict[str, Any]:
        return {}


class Broken(AsyncConnectorBase):
    """A service whose job submission raises."""

    name = "broken service"

    def __init__(self) -> None:
        super().__init__(task_type_name="broken")

    async def create(
        self,
        task_template: TaskTemplate,
        output_prefix: str,
        inputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> ResourceMeta:
        raise RuntimeError("connection refused")


class Echo(SyncConnectorBase):
    """A service answering at once: its output is its input doubled."""

    name = "echo service"

    def __init__(self) -> None:
        super().__init__(task_type_name="double")

    async def do(
        self,
        task_template: TaskTemplate,
        output_prefix: str,
        inputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Resource:
        return Resource(TaskExecution.SUCCEEDED, outputs={"o0": 2 * (inputs or {})["x"]})


ConnectorRegistry.register(Broken())
ConnectorRegistry.register(Echo())


@task(task_config=_Config("broken"))
def broken(x: int) -> int:
    raise AssertionError("never runs")


@task(task_config=_Config("double"))
def double(x: int) -> int:
    raise AssertionError("never runs")


@workflow
def broken_beside_fine(x: int = 3) -> int:
    broken(x=x)
    return double(x=x)
