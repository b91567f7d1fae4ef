"""flytekit's ``FlyteRemote``: a thin facade over :class:`~slipstream.remote.Remote` with
flytekit's method names, arguments and return objects, so that notebooks and CI scripts written
for Flyte drive a slipstream server with an import change.

Every call goes through one ``Remote`` (``FlyteRemote.client``); nothing here speaks HTTP.
"""

from __future__ import annotations

import datetime as dt
import sys
import uuid
from pathlib import Path
from typing import Any, Protocol

from slipstream.errors import InputError, NotFoundError
from slipstream.model import ExecutionRecord, ResourceType

from ._client import Remote
from ._console import console_url
from ._executions import _local_kind
from ._flyte_entities import FlyteEntity, FlyteLaunchPlan, FlyteTask, FlyteWorkflow
from ._flyte_execution import FlyteWorkflowExecution

__all__ = ["FlyteRemote"]

_CLASSES: dict[ResourceType, type[FlyteEntity]] = {
    ResourceType.TASK: FlyteTask,
    ResourceType.WORKFLOW: FlyteWorkflow,
    ResourceType.LAUNCH_PLAN: FlyteLaunchPlan,
}


class _Platform(Protocol):
    @property
    def url(self) -> str: ...

    @property
    def token(self) -> str | None: ...


class _Config(Protocol):
    """What ``FlyteRemote`` reads of :class:`slipstream.configuration.Config`."""

    @property
    def platform(self) -> _Platform: ...

    @property
    def client(self) -> Any: ...


def _seconds(value: dt.timedelta | float | None) -> float | None:
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return None if value is None else float(value)


class FlyteRemote:
    """flytekit's ``FlyteRemote`` on a slipstream server.

    ``FlyteRemote(Config.auto(), default_project=..., default_domain=...)``. Entities must be
    registered (``register_script``/``register_workflow``/``register_*`` or ``slipstream
    register``) before they run: ``execute`` of a local object runs its registered version, it
    does not register it. ``data_upload_location`` and flytekit's transport options
    (``private_key``, ``root_certificates``, ``certificate_chain``, ``interactive_mode_enabled``)
    are accepted and unused: the server stores uploads in its own blob store.
    """

    def __init__(
        self,
        config: _Config,
        default_project: str | None = None,
        default_domain: str | None = None,
        data_upload_location: str | None = None,
        **kw: Any,
    ) -> None:
        client_config = getattr(config, "client", None)
        project = default_project or getattr(client_config, "project", None)
        domain = default_domain or getattr(client_config, "domain", None)
        self.config = config
        self.client = Remote(config.platform.url, project, domain, token=config.platform.token)
        """slipstream's :class:`~slipstream.remote.Remote` (not flyteadmin's client)."""
        self.data_upload_location = data_upload_location

    @property
    def default_project(self) -> str | None:
        """The project of calls that name none."""
        return self.client.default_project

    @property
    def default_domain(self) -> str:
        """The domain of calls that name none."""
        return self.client.default_domain

    def __enter__(self) -> FlyteRemote:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    # -- fetching -----------------------------------------------------------------------------

    def _fetch(
        self,
        rt: ResourceType,
        project: str | None,
        domain: str | None,
        name: str | None,
        version: str | None,
    ) -> Any:
        if not name:
            raise InputError(f"fetch_{rt.value.replace('-', '_')}: give the name")
        found = self.client.fetch(rt, name, version, project=project, domain=domain)
        return _CLASSES[rt](found)

    def fetch_task(
        self,
        project: str | None = None,
        domain: str | None = None,
        name: str | None = None,
        version: str | None = None,
    ) -> FlyteTask:
        """A registered task (the newest version unless ``version``)."""
        task: FlyteTask = self._fetch(ResourceType.TASK, project, domain, name, version)
        return task

    def fetch_workflow(
        self,
        project: str | None = None,
        domain: str | None = None,
        name: str | None = None,
        version: str | None = None,
    ) -> FlyteWorkflow:
        """A registered workflow (the newest version unless ``version``)."""
        wf: FlyteWorkflow = self._fetch(ResourceType.WORKFLOW, project, domain, name, version)
        return wf

    def fetch_launch_plan(
        self,
        project: str | None = None,
        domain: str | None = None,
        name: str | None = None,
        version: str | None = None,
    ) -> FlyteLaunchPlan:
        """A registered launch plan (the newest version unless ``version``)."""
        lp: FlyteLaunchPlan = self._fetch(ResourceType.LAUNCH_PLAN, project, domain, name, version)
        return lp

    # -- registering --------------------------------------------------------------------------

    def register_script(
        self,
        entity: Any,
        image_config: Any = None,
        version: str | None = None,
        project: str | None = None,
        domain: str | None = None,
        destination_dir: str = ".",
        copy_all: bool = False,
        default_launch_plan: bool = True,
        options: Any = None,
        source_path: str | None = None,
        module_name: str | None = None,
        envs: dict[str, str] | None = None,
        fast_package_options: Any = None,
    ) -> FlyteEntity:
        """Register the code root of ``entity``'s module (every task, workflow and launch plan
        in the modules of the file, with the code bundle) and return ``entity`` as registered.

        ``source_path`` and ``module_name`` name the file (``source_path/module/name.py``);
        otherwise it is the module the entity was defined in. ``image_config``,
        ``destination_dir``, ``copy_all``, ``fast_package_options`` are accepted and unused
        (slipstream bundles the sources of the code root); ``envs`` is refused: set environment
        variables with settings (``slipstream settings set``).
        """
        if envs:
            raise InputError(
                "register_script(envs=...): slipstream sets task environment variables with "
                "project or domain settings (`slipstream settings set`), not at registration"
            )
        path = None
        if source_path and module_name:
            path = Path(source_path) / (module_name.replace(".", "/") + ".py")
        return self._register(entity, path, version, project, domain)

    def register_workflow(
        self,
        entity: Any,
        serialization_settings: Any = None,
        version: str | None = None,
        default_launch_plan: bool = True,
        options: Any = None,
    ) -> FlyteWorkflow:
        """Register a local workflow (see :meth:`register_script`); project, domain and version
        from ``serialization_settings`` when given."""
        wf: FlyteWorkflow = self._register_with(entity, serialization_settings, version)
        return wf

    def register_task(
        self, entity: Any, serialization_settings: Any = None, version: str | None = None
    ) -> FlyteTask:
        """Register a local task (see :meth:`register_workflow`)."""
        task: FlyteTask = self._register_with(entity, serialization_settings, version)
        return task

    def register_launch_plan(
        self,
        entity: Any,
        version: str | None = None,
        project: str | None = None,
        domain: str | None = None,
        options: Any = None,
        serialization_settings: Any = None,
    ) -> FlyteLaunchPlan:
        """Register a local launch plan (see :meth:`register_workflow`)."""
        lp: FlyteLaunchPlan = self._register_with(
            entity, serialization_settings, version, project, domain
        )
        return lp

    def _register_with(
        self,
        entity: Any,
        settings: Any,
        version: str | None,
        project: str | None = None,
        domain: str | None = None,
    ) -> Any:
        return self._register(
            entity,
            None,
            version or getattr(settings, "version", None),
            project or getattr(settings, "project", None),
            domain or getattr(settings, "domain", None),
        )

    def _register(
        self,
        entity: Any,
        path: Path | None,
        version: str | None,
        project: str | None,
        domain: str | None,
    ) -> FlyteEntity:
        rt = _kind_to_register(entity)
        done = self.client.register(
            path or _source_file(entity), version=version, project=project, domain=domain
        )
        found = self.client.fetch(rt, entity.name, done.version, project=project, domain=domain)
        return _CLASSES[rt](found)

    # -- executing ----------------------------------------------------------------------------

    def execute(
        self,
        entity: Any,
        inputs: dict[str, Any] | None = None,
        project: str | None = None,
        domain: str | None = None,
        name: str | None = None,
        version: str | None = None,
        execution_name: str | None = None,
        execution_name_prefix: str | None = None,
        image_config: Any = None,
        options: Any = None,
        wait: bool = False,
        type_hints: dict[str, Any] | None = None,
        overwrite_cache: bool | None = None,
        interruptible: bool | None = None,
        envs: dict[str, str] | None = None,
        tags: list[str] | None = None,
        cluster_pool: str | None = None,
        execution_cluster_label: str | None = None,
        serialization_settings: Any = None,
    ) -> FlyteWorkflowExecution:
        """Start an execution of ``entity`` (a local task, workflow or launch plan, a fetched
        one, or a registered name) and, with ``wait``, follow it to its end. A local entity that
        is not registered (at ``version``, or at all) has its code registered first.

        ``name`` runs the registered entity of that name instead of the local object's own;
        ``version`` picks the registered version (the newest by default). ``options`` gives
        ``labels``, ``annotations`` and ``max_parallelism``; ``tags`` become labels whose value
        is ``"true"``. ``execution_cluster_label`` sends it to that compute cluster alone
        (``Remote.execute(cluster=...)``). ``image_config``, ``serialization_settings``,
        ``interruptible`` and ``cluster_pool`` are accepted and unused (placement hints
        slipstream has no use for). ``overwrite_cache=True`` and ``envs`` are refused:
        the server has no per-execution cache override or environment.
        """
        if overwrite_cache:
            raise InputError(
                "execute(overwrite_cache=True): slipstream has no per-execution cache override; "
                "bump the task's cache_version (or edit it) to recompute"
            )
        if envs:
            raise InputError(
                "execute(envs=...): slipstream sets environment variables with project or "
                "domain settings (`slipstream settings set`), not per execution"
            )
        if execution_name is None and execution_name_prefix:
            execution_name = f"{execution_name_prefix}-{uuid.uuid4().hex[:12]}"
        target: Any = entity
        if isinstance(entity, FlyteEntity):
            target = entity.registered
            version = version or entity.id.version
            project = project or entity.id.project
            domain = domain or entity.id.domain
        elif name is not None and name != getattr(entity, "name", name):
            target = name
        elif _local_kind(entity) is not None:
            version = self._registered_version(entity, version, project, domain)
        labels = dict(getattr(getattr(options, "labels", None), "values", None) or {})
        labels.update({tag: "true" for tag in tags or ()})
        annotations = getattr(getattr(options, "annotations", None), "values", None)
        record = self.client.execute(
            target,
            inputs,
            name=execution_name,
            version=version,
            project=project,
            domain=domain,
            labels=labels,
            annotations=dict(annotations or {}),
            max_parallelism=getattr(options, "max_parallelism", None),
            type_hints=type_hints,
            cluster=execution_cluster_label,
        )
        local = entity if _local_kind(entity) is not None else None
        execution = FlyteWorkflowExecution(record, self.client, local)
        return self.wait(execution) if wait else execution

    def _registered_version(
        self, entity: Any, version: str | None, project: str | None, domain: str | None
    ) -> str | None:
        """The version of a local ``entity`` to run: ``version`` (or the newest) when registered;
        otherwise its code is registered first (under ``version``, else the code's default
        version), as flytekit's ``execute`` registers a local entity it cannot fetch."""
        kind = _local_kind(entity)
        assert kind is not None
        try:
            self.client.fetch(kind, entity.name, version, project=project, domain=domain)
            return version
        except NotFoundError:
            registered = self._register(entity, None, version, project, domain)
            return registered.id.version

    def wait(
        self,
        execution: FlyteWorkflowExecution,
        timeout: dt.timedelta | float | None = None,
        poll_interval: dt.timedelta | float | None = None,
        sync_nodes: bool = True,
    ) -> FlyteWorkflowExecution:
        """Follow the execution until it has ended (``timeout`` and ``poll_interval`` in seconds
        or as ``timedelta``); past ``timeout``, ``WaitTimeoutError`` (the execution goes on)."""
        record = self.client.wait(
            execution.record,
            timeout=_seconds(timeout),
            poll_interval=_seconds(poll_interval) or 1.0,
        )
        return self._synced(execution, record, sync_nodes)

    def sync(
        self,
        execution: FlyteWorkflowExecution,
        entity_definition: Any = None,
        sync_nodes: bool = False,
    ) -> FlyteWorkflowExecution:
        """The execution as it is now (with its node executions when ``sync_nodes``)."""
        record = self.client.fetch_execution(execution.record)
        return self._synced(execution, record, sync_nodes, entity_definition)

    def _synced(
        self,
        execution: FlyteWorkflowExecution,
        record: ExecutionRecord,
        sync_nodes: bool,
        entity: Any = None,
    ) -> FlyteWorkflowExecution:
        nodes = None
        if sync_nodes:
            nodes = {n.path: n for n in self.client.node_executions(record)}
        entity = entity if _local_kind(entity) is not None else execution._entity
        return FlyteWorkflowExecution(record, self.client, entity, nodes)

    def fetch_execution(
        self, project: str | None = None, domain: str | None = None, name: str | None = None
    ) -> FlyteWorkflowExecution:
        """The execution ``name`` of the project and domain (the defaults unless given)."""
        if not name:
            raise InputError("fetch_execution: give the execution's name")
        record = self.client.fetch_execution(name, project=project, domain=domain)
        return FlyteWorkflowExecution(record, self.client)

    def recent_executions(
        self, project: str | None = None, domain: str | None = None, limit: int | None = 100
    ) -> list[FlyteWorkflowExecution]:
        """Executions of the project and domain, newest first."""
        records = self.client.recent_executions(project, domain, limit=limit)
        return [FlyteWorkflowExecution(r, self.client) for r in records]

    def terminate(self, execution: FlyteWorkflowExecution, cause: str) -> None:
        """Abort the execution (a running one goes ABORTING until the engine has stopped it)."""
        self.client.terminate(execution.record, cause)

    def relaunch_execution(
        self, execution: FlyteWorkflowExecution, name: str | None = None
    ) -> FlyteWorkflowExecution:
        """A new execution of the same target with the same inputs."""
        record = self.client.relaunch(execution.record, name=name)
        return FlyteWorkflowExecution(record, self.client, execution._entity)

    def recover_execution(
        self, execution: FlyteWorkflowExecution, name: str | None = None
    ) -> FlyteWorkflowExecution:
        """A new execution of a failed one that reuses every node that succeeded in it."""
        record = self.client.recover(execution.record, name=name)
        return FlyteWorkflowExecution(record, self.client, execution._entity)

    def generate_console_url(self, entity: FlyteWorkflowExecution | FlyteEntity) -> str:
        """The console page of an execution or a registered entity."""
        if isinstance(entity, FlyteWorkflowExecution | FlyteEntity):
            return console_url(self.client.endpoint, entity.id)
        raise InputError(f"no console page for {entity!r}: give an execution or a fetched entity")


def _kind_to_register(entity: Any) -> ResourceType:
    rt = _local_kind(entity)
    if rt is None:
        raise InputError(f"cannot register {entity!r}: give a local task, workflow or launch plan")
    return rt


def _source_file(entity: Any) -> Path:
    """The file of the module that defines ``entity`` (a launch plan's: its workflow's)."""
    from slipstream.sdk import LaunchPlan

    target = entity.workflow if isinstance(entity, LaunchPlan) else entity
    parts = str(target.name).split(".")
    for i in range(len(parts) - 1, 0, -1):
        module = sys.modules.get(".".join(parts[:i]))
        file = getattr(module, "__file__", None)
        if file:
            return Path(file)
    raise InputError(
        f"cannot find the source file of {entity.name}: define it in a module (a .py file) "
        "and register that file, or pass source_path= and module_name="
    )
