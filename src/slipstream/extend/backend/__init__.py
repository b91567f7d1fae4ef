"""flytekit's ``flytekit.extend.backend`` module path: connectors, the task types whose work runs
on an outside service while the engine follows it (see ``_base`` for the contract)."""

from ._base import (
    AsyncConnectorBase,
    ConnectorBase,
    Resource,
    ResourceMeta,
    SyncConnectorBase,
    TaskExecution,
    TaskLog,
)
from ._ray_job import RayJob, RayJobConnector, RayJobMeta
from ._registry import ConnectorRegistry
from ._timer import Timer, TimerConnector, TimerMeta

__all__ = [
    "AsyncConnectorBase",
    "ConnectorBase",
    "ConnectorRegistry",
    "RayJob",
    "RayJobConnector",
    "RayJobMeta",
    "Resource",
    "ResourceMeta",
    "SyncConnectorBase",
    "TaskExecution",
    "TaskLog",
    "Timer",
    "TimerConnector",
    "TimerMeta",
]
