"""The ``ray_job`` task type: a task whose body runs as a job on a Ray cluster's job API.

``@task(task_config=RayJob(address="http://head:8265"))`` keeps the function's code: the engine
writes the attempt's request to the blob store beside its outputs, submits the job
``python -m slipstream.runners._job_entry`` through ``ray.job_submission.JobSubmissionClient``,
polls its status and stops it on abort or timeout. The job runs the attempt as a worker does (load
the code, read inputs, run, write outputs) and writes its result next to the request, where
``get`` reads it once the job SUCCEEDED. The cluster must reach the blob store and the code root
(one machine, a shared file system, or an object store). The submission id is fixed per attempt,
so a submission repeated after a crash finds the job already there instead of starting another.
Needs the ``[ray]`` extra (Ray's job SDK) in the engine.
"""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import time
from dataclasses import dataclass, field
from typing import Any

from slipstream.errors import ConnectorError
from slipstream.model import AttemptRequest, AttemptResult, TaskTemplate, decode, encode

from ._base import AsyncConnectorBase, Resource, ResourceMeta, TaskExecution, TaskLog
from ._registry import ConnectorRegistry

__all__ = ["RayJob", "RayJobConnector", "RayJobMeta"]

_BUSY = "try again later"
"""What Ray's job service says while it has no agent to take a job yet."""
_BUSY_S = 60.0
SERVICE = "Ray job service"


@dataclass(frozen=True)
class RayJob:
    """The task config of a Ray job: the cluster's job API (its dashboard's address; default
    ``RAY_ADDRESS`` in the engine's environment), the Python the job runs (``python`` on the
    cluster's path by default) and a Ray ``runtime_env``."""

    address: str = ""
    python: str = ""
    runtime_env: dict[str, Any] = field(default_factory=dict)
    task_type = "ray_job"

    def custom(self) -> dict[str, Any]:
        """What the connector reads from the task template."""
        return {"address": self.address, "python": self.python, "runtime_env": self.runtime_env}


@dataclass
class RayJobMeta(ResourceMeta):
    """A submitted job: its cluster and submission id, and where its result will be."""

    address: str
    job_id: str
    store: str
    result_uri: str


def _client(address: str) -> Any:
    try:
        from ray.job_submission import JobSubmissionClient
    except ImportError as e:
        raise ConnectorError(
            f"{SERVICE}: Ray is not installed (pip install 'slipstream[ray]')"
        ) from e
    try:
        return JobSubmissionClient(address)
    except Exception as e:
        raise ConnectorError(f"{SERVICE}: cannot reach {address}: {e}") from e


def _submission_id(req: AttemptRequest) -> str:
    ex = req.execution
    raw = f"slipstream-{ex.project}-{ex.domain}-{ex.name}-{req.node}-{req.attempt}"
    return re.sub(r"[^A-Za-z0-9_-]", "_", raw)


class RayJobConnector(AsyncConnectorBase):
    """Runs ``ray_job`` tasks as jobs of a Ray cluster."""

    name = SERVICE

    def __init__(self) -> None:
        super().__init__(task_type_name="ray_job", metadata_type=RayJobMeta)

    async def create(
        self,
        task_template: TaskTemplate,
        output_prefix: str,
        inputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> RayJobMeta:
        req = kwargs.get("attempt_request")
        if not isinstance(req, AttemptRequest):
            raise ConnectorError(f"{SERVICE}: a Ray job runs only as an engine's attempt")
        custom = task_template.custom
        address = str(custom.get("address") or os.environ.get("RAY_ADDRESS", ""))
        if not address:
            raise ConnectorError(f"{SERVICE}: no address: give RayJob(address=...) or RAY_ADDRESS")
        job_dir = f"{output_prefix}/ray-job"
        meta = RayJobMeta(address, _submission_id(req), req.store, f"{job_dir}/result.json")
        return await asyncio.to_thread(self._submit, req, custom, job_dir, meta)

    def _submit(
        self, req: AttemptRequest, custom: dict[str, Any], job_dir: str, meta: RayJobMeta
    ) -> RayJobMeta:
        from slipstream.storage import open_store

        request_uri = f"{job_dir}/request.json"
        open_store(req.store).put_bytes(request_uri, encode(req))
        python = str(custom.get("python") or "python")
        entry = [python, "-m", "slipstream.runners._job_entry", req.store, request_uri]
        client = _client(meta.address)
        deadline = time.monotonic() + _BUSY_S
        wait = 0.5
        while True:
            try:
                client.submit_job(
                    entrypoint=shlex.join(entry),
                    submission_id=meta.job_id,
                    runtime_env=dict(custom.get("runtime_env") or {}) or None,
                    metadata={"slipstream_task": req.task.id.name, "slipstream_node": req.node},
                )
            except Exception as e:
                text = str(e)
                if "already exists" in text:  # submitted before a crash (or a retry): this job
                    return meta
                if _BUSY in text and time.monotonic() < deadline:
                    # the head's job agent is not up yet (a head just started, a busy node):
                    # the same submission id is sent again, so it is never submitted twice
                    time.sleep(wait)
                    wait = min(wait * 2, 5.0)
                    continue
                raise ConnectorError(f"{SERVICE} at {meta.address} refused the job: {e}") from e
            return meta

    async def get(self, resource_meta: ResourceMeta, **kwargs: Any) -> Resource:
        assert isinstance(resource_meta, RayJobMeta)
        return await asyncio.to_thread(self._status, resource_meta)

    def _status(self, meta: RayJobMeta) -> Resource:
        links = [TaskLog(uri=f"{meta.address.rstrip('/')}/#/jobs/{meta.job_id}", name="Ray job")]
        client = _client(meta.address)
        try:
            info = client.get_job_info(meta.job_id)
        except Exception as e:
            if "does not exist" in str(e) or "404" in str(e):
                raise ConnectorError(f"{SERVICE}: job {meta.job_id} is gone") from e
            raise ConnectorError(f"{SERVICE}: cannot ask for job {meta.job_id}: {e}") from e
        status = str(getattr(info.status, "value", info.status))
        if status in ("PENDING", "RUNNING"):
            return Resource(TaskExecution.RUNNING, status.lower(), links)
        if status == "STOPPED":
            return Resource(TaskExecution.ABORTED, f"job {meta.job_id} was stopped", links)
        from slipstream.storage import open_store

        store = open_store(meta.store)
        if status == "SUCCEEDED" and store.exists(meta.result_uri):
            result = decode(store.get_bytes(meta.result_uri), AttemptResult)
            if result.ok:
                return Resource(
                    TaskExecution.SUCCEEDED, "done", links, outputs=result.outputs,
                    custom_info={"outputs_uri": result.outputs_uri} if result.outputs_uri else None,
                )  # fmt: skip
            err = result.error
            why = f"{err.message}\n{err.traceback}".strip() if err else "the task failed"
            return Resource(TaskExecution.FAILED, why, links)
        tail = ""
        try:
            tail = "\n".join(client.get_job_logs(meta.job_id).strip().splitlines()[-10:])
        except Exception:  # the logs are a help to the message, not its substance
            tail = ""
        message = info.message or f"job {meta.job_id} ended {status} without a result"
        return Resource(TaskExecution.FAILED, f"{message}\n{tail}".strip(), links)

    async def delete(self, resource_meta: ResourceMeta, **kwargs: Any) -> None:
        assert isinstance(resource_meta, RayJobMeta)
        await asyncio.to_thread(_client(resource_meta.address).stop_job, resource_meta.job_id)


ConnectorRegistry.register(RayJobConnector())
