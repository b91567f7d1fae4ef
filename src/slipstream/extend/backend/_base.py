"""flytekit's connector interface: a task type whose work runs on an outside service.

A connector turns one task attempt into a job of its service and follows it. An
:class:`AsyncConnectorBase` starts the job (``create``, which returns the job's
:class:`ResourceMeta`), reports how it stands (``get``, a :class:`Resource`) and stops it
(``delete``); a :class:`SyncConnectorBase` does its work in one call (``do``). The engine runs
connectors itself, in an event loop beside its workers: a job that waits on its service holds no
worker. Inputs and outputs are literals (for ints, floats, strings and booleans, the values
themselves), never Python objects a connector would have to unpickle.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from dataclasses import dataclass, field
from typing import Any, ClassVar

from slipstream.model import TaskTemplate

__all__ = [
    "AsyncConnectorBase",
    "ConnectorBase",
    "Resource",
    "ResourceMeta",
    "SyncConnectorBase",
    "TaskExecution",
    "TaskLog",
]


class _Phase(enum.IntEnum):
    UNDEFINED = 0
    QUEUED = 1
    RUNNING = 2
    SUCCEEDED = 3
    ABORTED = 4
    FAILED = 5
    INITIALIZING = 6
    WAITING_FOR_RESOURCES = 7


class TaskExecution:
    """The phases a connector's job reports (flyteidl's ``TaskExecution.Phase`` names):
    ``TaskExecution.SUCCEEDED`` and so on."""

    Phase = _Phase
    UNDEFINED: ClassVar[_Phase] = _Phase.UNDEFINED
    QUEUED: ClassVar[_Phase] = _Phase.QUEUED
    RUNNING: ClassVar[_Phase] = _Phase.RUNNING
    SUCCEEDED: ClassVar[_Phase] = _Phase.SUCCEEDED
    ABORTED: ClassVar[_Phase] = _Phase.ABORTED
    FAILED: ClassVar[_Phase] = _Phase.FAILED
    INITIALIZING: ClassVar[_Phase] = _Phase.INITIALIZING
    WAITING_FOR_RESOURCES: ClassVar[_Phase] = _Phase.WAITING_FOR_RESOURCES


@dataclass(frozen=True)
class TaskLog:
    """A link to a job's logs or page on its service, shown with the attempt."""

    uri: str
    name: str = ""


@dataclass
class ResourceMeta:
    """What a connector needs to find its job again (an id, an address): subclass it as a
    dataclass of plain fields. It is recorded as JSON as soon as ``create`` returns, so that an
    engine that restarts follows the same job instead of starting another."""

    def encode(self) -> bytes:
        """The meta as JSON bytes."""
        return json.dumps(dataclasses.asdict(self), sort_keys=True).encode()

    @classmethod
    def decode(cls, data: bytes) -> ResourceMeta:
        """The meta back from :meth:`encode`'s bytes."""
        return cls(**json.loads(data))


@dataclass
class Resource:
    """How a job stands: its phase, a message, links to its logs and, once it succeeded, the
    task's outputs (literals by output name)."""

    phase: _Phase
    message: str | None = None
    log_links: list[TaskLog] | None = None
    outputs: dict[str, Any] | None = None
    custom_info: dict[str, Any] | None = field(default=None)


class ConnectorBase:
    """What every connector has: the task type it runs (``task_type_name``) and a name for
    messages (``name``, the service's)."""

    name: str = ""

    def __init__(self, task_type_name: str, task_type_version: int = 0, **kwargs: Any) -> None:
        self.task_type_name = task_type_name
        self.task_type_version = task_type_version
        if not self.name:
            self.name = type(self).__name__

    def __repr__(self) -> str:
        return f"{type(self).__name__}(task_type={self.task_type_name!r})"


class AsyncConnectorBase(ConnectorBase):
    """A connector whose job runs on its service while the engine polls it: ``create`` starts
    the job, ``get`` says how it stands (polled with a growing pause), ``delete`` stops it (an
    abort, a timeout, an engine that gives the attempt up)."""

    def __init__(
        self,
        task_type_name: str,
        metadata_type: type[ResourceMeta] = ResourceMeta,
        task_type_version: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(task_type_name, task_type_version, **kwargs)
        self.metadata_type = metadata_type

    async def create(
        self,
        task_template: TaskTemplate,
        output_prefix: str,
        inputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> ResourceMeta:
        """Start the job; return what finds it again."""
        raise NotImplementedError(f"{type(self).__name__} does not define create()")

    async def get(self, resource_meta: ResourceMeta, **kwargs: Any) -> Resource:
        """How the job stands now."""
        raise NotImplementedError(f"{type(self).__name__} does not define get()")

    async def delete(self, resource_meta: ResourceMeta, **kwargs: Any) -> None:
        """Stop the job (nothing when it already ended)."""
        raise NotImplementedError(f"{type(self).__name__} does not define delete()")


class SyncConnectorBase(ConnectorBase):
    """A connector whose work is one call (``do``), such as a quick request to an API."""

    async def do(
        self,
        task_template: TaskTemplate,
        output_prefix: str,
        inputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Resource:
        """Do the work; return how it ended."""
        raise NotImplementedError(f"{type(self).__name__} does not define do()")
