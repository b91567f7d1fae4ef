"""The ``timer`` task type: a connector whose job is a timer (for tests, examples and benchmarks).

A timer job waits its ``seconds`` input and returns it as its output ``o0``. With
``SLIPSTREAM_TIMER_JOBS_DIR`` set in the engine's environment, each job is a file in that folder, a
stand-in for a service's job list that tests can count, delete (a job that disappears) or see
stopped; without it, jobs live in the engine's memory. The folder is the engine's setting, never
the task's: a task's template is its registrant's data, and the engine writes these files as
itself.
``fail`` makes every job end FAILED with that message.
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slipstream.errors import ConnectorError
from slipstream.model import TaskTemplate

from ._base import AsyncConnectorBase, Resource, ResourceMeta, TaskExecution, TaskLog
from ._registry import ConnectorRegistry

__all__ = ["Timer", "TimerConnector", "TimerMeta"]


@dataclass(frozen=True)
class Timer:
    """The task config of a timer task: ``@task(task_config=Timer())`` on a function of one
    ``seconds: float`` input returning a float (its body is never run); ``fail`` makes its jobs
    end FAILED with that message."""

    fail: str = ""
    task_type = "timer"

    def custom(self) -> dict[str, Any]:
        """What the connector reads from the task template."""
        return {"fail": self.fail}


@dataclass
class TimerMeta(ResourceMeta):
    """A timer job: its id, when it ends, where its file is (if anywhere)."""

    job_id: str
    ends_at: float
    seconds: float = 0.0
    jobs_dir: str = ""
    fail: str = ""


class TimerConnector(AsyncConnectorBase):
    """Runs ``timer`` tasks."""

    name = "timer service"

    def __init__(self) -> None:
        super().__init__(task_type_name="timer", metadata_type=TimerMeta)
        self._deleted: set[str] = set()

    async def create(
        self,
        task_template: TaskTemplate,
        output_prefix: str,
        inputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> TimerMeta:
        seconds = (inputs or {}).get("seconds")
        if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
            raise ConnectorError(f"a timer needs a number of seconds >= 0, not {seconds!r}")
        custom = task_template.custom
        meta = TimerMeta(
            job_id=uuid.uuid4().hex,
            ends_at=time.time() + float(seconds),
            seconds=float(seconds),
            jobs_dir=os.environ.get("SLIPSTREAM_TIMER_JOBS_DIR", ""),
            fail=str(custom.get("fail") or ""),
        )
        if meta.jobs_dir:
            job = Path(meta.jobs_dir) / f"{meta.job_id}.json"
            job.write_text(json.dumps({"state": "RUNNING", "seconds": seconds}))
        return meta

    async def get(self, resource_meta: ResourceMeta, **kwargs: Any) -> Resource:
        meta = _checked(resource_meta)
        links = [TaskLog(uri=f"timer://{meta.job_id}", name="timer job")]
        if meta.jobs_dir:
            job = Path(meta.jobs_dir) / f"{meta.job_id}.json"
            if not job.exists():
                raise ConnectorError(f"timer job {meta.job_id} is gone")
            if json.loads(job.read_text())["state"] == "STOPPED":
                return Resource(TaskExecution.ABORTED, "the job was stopped", links)
        elif meta.job_id in self._deleted:
            return Resource(TaskExecution.ABORTED, "the job was stopped", links)
        left = meta.ends_at - time.time()
        if left > 0:
            return Resource(TaskExecution.RUNNING, f"{left:.1f} s left", links)
        if meta.fail:
            return Resource(TaskExecution.FAILED, meta.fail, links)
        return Resource(TaskExecution.SUCCEEDED, "done", links, outputs={"o0": meta.seconds})

    async def delete(self, resource_meta: ResourceMeta, **kwargs: Any) -> None:
        meta = _checked(resource_meta)
        if meta.jobs_dir:
            job = Path(meta.jobs_dir) / f"{meta.job_id}.json"
            if job.exists():
                state = json.loads(job.read_text())
                state["state"] = "STOPPED"
                job.write_text(json.dumps(state))
        else:
            self._deleted.add(meta.job_id)


def _checked(meta: ResourceMeta) -> TimerMeta:
    """A meta this engine could have made: a hex job id in the engine's own jobs folder."""
    ok = (
        isinstance(meta, TimerMeta)
        and re.fullmatch(r"[0-9a-f]{32}", meta.job_id) is not None
        and meta.jobs_dir in ("", os.environ.get("SLIPSTREAM_TIMER_JOBS_DIR", ""))
    )
    if not ok:
        raise ConnectorError(f"not a timer job of this engine: {meta!r}")
    assert isinstance(meta, TimerMeta)
    return meta


ConnectorRegistry.register(TimerConnector())
