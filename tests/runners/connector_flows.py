"""Tasks and workflows of the connector tests: timer jobs (``slipstream.extend.backend.Timer``)
and connectors of their own that fail in the ways a service does."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from slipstream import task, workflow
from slipstream.errors import ConnectorError
from slipstream.extend.backend import (
    AsyncConnectorBase,
    ConnectorRegistry,
    Resource,
    ResourceMeta,
    SyncConnectorBase,
    TaskExecution,
    Timer,
)
from slipstream.model import AttemptRequest, TaskTemplate
from slipstream.storage import open_store


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


@dataclass
class _JobId(ResourceMeta):
    job_id: str


class JournalFirst(AsyncConnectorBase):
    """A service that checks, at each poll, that the engine recorded the job's meta before it
    (the node's journal names this job); its job's output is its input."""

    name = "journal-first service"

    def __init__(self) -> None:
        super().__init__(task_type_name="journal_first", metadata_type=_JobId)

    async def create(
        self,
        task_template: TaskTemplate,
        output_prefix: str,
        inputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> ResourceMeta:
        return _JobId(uuid.uuid4().hex)

    async def get(self, resource_meta: ResourceMeta, **kwargs: Any) -> Resource:
        assert isinstance(resource_meta, _JobId)
        req: AttemptRequest = kwargs["attempt_request"]
        node_dir = req.output_prefix.rsplit("/", 2)[0]
        body = json.loads(open_store(req.store).get_bytes(f"{node_dir}/connector-job.json"))
        if json.loads(body["meta"]) != {"job_id": resource_meta.job_id}:
            raise ConnectorError(f"the journal names another job: {body}")
        return Resource(TaskExecution.SUCCEEDED, outputs={"o0": (req.inputs or {})["x"]})


ConnectorRegistry.register(Broken())
ConnectorRegistry.register(Echo())
ConnectorRegistry.register(JournalFirst())


@task(task_config=_Config("journal_first"))
def journal_first(x: int) -> int:
    raise AssertionError("never runs")


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
