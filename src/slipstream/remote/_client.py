"""``Remote``: the typed Python client of the slipstream server, used by the CLI and notebooks."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import urlencode

import msgspec

from slipstream.configuration import ClientConfig
from slipstream.errors import ConfigError, ValidationError
from slipstream.model import (
    CompiledWorkflow,
    Identifier,
    LaunchPlanSpec,
    Page,
    Project,
    ProjectCreate,
    PromoteRequest,
    Promotion,
    Registered,
    RegisterRequest,
    RegisterResult,
    ResourceType,
    Settings,
    TaskTemplate,
)

from ._access import Access
from ._bundle import build_bundle
from ._clusters import RemoteClusters
from ._discover import discover, source_paths
from ._executions import RemoteExecutions
from ._gc import RemoteGc
from ._http import Http
from ._lineage import RemoteLineage
from ._schedules import RemoteSchedules
from ._spec_cache import load_specs, save_specs, spec_cache_key
from ._version import default_version

__all__ = ["Registration", "Remote"]

T = TypeVar("T")
_PATHS = {
    ResourceType.TASK: "tasks",
    ResourceType.WORKFLOW: "workflows",
    ResourceType.LAUNCH_PLAN: "launch_plans",
}


@dataclass(frozen=True)
class Registration:
    """What :meth:`Remote.register` did: the version, the bundle, and created/unchanged ids."""

    version: str
    bundle: str
    uploaded: bool
    created: tuple[Identifier, ...]
    unchanged: tuple[Identifier, ...]
    specs_reused: bool = False
    """True when the specs came from the spec cache (the user's modules were not imported)."""


class Remote(RemoteExecutions, RemoteSchedules, RemoteLineage, RemoteGc, RemoteClusters):
    """A connection to a slipstream server, with a default project and domain.

    ``Remote()`` finds the server from ``SLIPSTREAM_ENDPOINT`` or the config file
    (``slipstream config init``). Every method takes ``project``/``domain`` to override the defaults.
    Errors the server returns are raised as slipstream's errors (``NotFoundError``,
    ``ConflictError``, ``ValidationError``...); an unreachable server is a ``RemoteError``.
    Executions: :class:`~slipstream.remote._executions.RemoteExecutions`.
    The API token is ``token``, else ``SLIPSTREAM_TOKEN``, the config file, or the admin token
    of a server whose home is this client's ``SLIPSTREAM_HOME``.
    """

    def __init__(
        self,
        endpoint: str | None = None,
        project: str | None = None,
        domain: str | None = None,
        *,
        timeout: float = 30.0,
        token: str | None = None,
    ) -> None:
        config = ClientConfig.load(endpoint, project, domain, token)
        self.endpoint = config.endpoint
        self.default_project = config.project
        self.default_domain = config.domain
        self._http = Http(config.endpoint, timeout=timeout, token=config.token)
        self.access = Access(self._http)
        """Users, grants and tokens."""

    # -- plumbing -----------------------------------------------------------------------------

    def __enter__(self) -> Remote:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP connections."""
        self._http.close()

    def _scope(self, project: str | None, domain: str | None) -> tuple[str, str]:
        p = project or self.default_project
        if not p:
            raise ConfigError(
                "no project: pass project=, set SLIPSTREAM_PROJECT, or `slipstream config init "
                "--project NAME`"
            )
        return p, domain or self.default_domain

    def _all(self, path: str, tp: type[Page[T]], limit: int | None, **params: Any) -> list[T]:
        items: list[T] = []
        cursor: str | None = None
        while True:
            size = 500 if limit is None else min(500, limit - len(items))
            page = self._http.get(path, tp, cursor=cursor, limit=size, **params)
            items.extend(page.items)
            cursor = page.next_cursor
            if cursor is None or (limit is not None and len(items) >= limit):
                return items

    # -- projects and domains -----------------------------------------------------------------

    def list_domains(self) -> list[str]:
        """The server's domains."""
        return self._http.get("/domains", dict[str, list[str]])["items"]

    def create_project(
        self, name: str, description: str = "", labels: dict[str, str] | None = None
    ) -> Project:
        """Create a project."""
        body = ProjectCreate(name=name, description=description, labels=labels or {})
        return self._http.send("POST", "/projects", body, Project)

    def get_project(self, name: str) -> Project:
        """Describe a project."""
        return self._http.get(f"/projects/{name}", Project)

    def list_projects(self, *, state: str | None = None, limit: int | None = None) -> list[Project]:
        """Projects, newest first."""
        return self._all("/projects", Page[Project], limit, state=state)

    def archive_project(self, name: str) -> Project:
        """Archive a project: its entities stay, new registrations are refused."""
        return msgspec.json.decode(
            self._http.request("POST", f"/projects/{name}/archive").content, type=Project
        )

    # -- entities -----------------------------------------------------------------------------

    def fetch(
        self,
        resource_type: ResourceType,
        name: str,
        version: str | None = None,
        *,
        project: str | None = None,
        domain: str | None = None,
    ) -> Registered[Any]:
        """A registered entity with its spec, digest and bundle (latest version by default)."""
        p, d = self._scope(project, domain)
        spec = _spec_type(resource_type)
        path = f"/{_PATHS[resource_type]}/{p}/{d}/{name}/{version or 'latest'}"
        result: Registered[Any] = self._http.get(path, Registered[spec])  # type: ignore[valid-type]
        return result

    def fetch_task(
        self,
        name: str,
        version: str | None = None,
        *,
        project: str | None = None,
        domain: str | None = None,
    ) -> TaskTemplate:
        """A registered task's template (latest version by default)."""
        spec: TaskTemplate = self.fetch(
            ResourceType.TASK, name, version, project=project, domain=domain
        ).spec
        return spec

    def fetch_workflow(
        self,
        name: str,
        version: str | None = None,
        *,
        project: str | None = None,
        domain: str | None = None,
    ) -> CompiledWorkflow:
        """A registered workflow with its closure (latest version by default)."""
        spec: CompiledWorkflow = self.fetch(
            ResourceType.WORKFLOW, name, version, project=project, domain=domain
        ).spec
        return spec

    def fetch_launch_plan(
        self,
        name: str,
        version: str | None = None,
        *,
        project: str | None = None,
        domain: str | None = None,
    ) -> LaunchPlanSpec:
        """A registered launch plan (latest version by default)."""
        spec: LaunchPlanSpec = self.fetch(
            ResourceType.LAUNCH_PLAN, name, version, project=project, domain=domain
        ).spec
        return spec

    def list_entities(
        self,
        resource_type: ResourceType,
        name: str | None = None,
        *,
        version: str | None = None,
        project: str | None = None,
        domain: str | None = None,
        limit: int | None = None,
        sort_by: str = "created_at",
        order: str = "desc",
    ) -> list[Registered[Any]]:
        """Registered entities of one type, newest first (all versions; ``name`` filters)."""
        p, d = self._scope(project, domain)
        tp: Any = Page[Registered[_spec_type(resource_type)]]  # type: ignore[misc]
        return self._all(
            f"/{_PATHS[resource_type]}/{p}/{d}",
            tp,
            limit,
            name=name,
            version=version,
            sort_by=sort_by,
            order=order,
        )

    def list_tasks(self, name: str | None = None, **kw: Any) -> list[Registered[TaskTemplate]]:
        """Registered tasks (see :meth:`list_entities`)."""
        return self.list_entities(ResourceType.TASK, name, **kw)

    def list_workflows(
        self, name: str | None = None, **kw: Any
    ) -> list[Registered[CompiledWorkflow]]:
        """Registered workflows (see :meth:`list_entities`), each without its closure's task
        templates and subworkflows; :meth:`fetch_workflow` gives one whole."""
        return self.list_entities(ResourceType.WORKFLOW, name, **kw)

    def list_launch_plans(
        self, name: str | None = None, **kw: Any
    ) -> list[Registered[LaunchPlanSpec]]:
        """Registered launch plans (see :meth:`list_entities`)."""
        return self.list_entities(ResourceType.LAUNCH_PLAN, name, **kw)

    def iter_pages(
        self,
        resource_type: ResourceType,
        *,
        project: str | None = None,
        domain: str | None = None,
        limit: int = 100,
        **params: Any,
    ) -> Iterator[Page[Registered[Any]]]:
        """Pages of a list, one request each (for large lists)."""
        p, d = self._scope(project, domain)
        tp: Any = Page[Registered[_spec_type(resource_type)]]  # type: ignore[misc]
        cursor: str | None = None
        while True:
            page: Page[Registered[Any]] = self._http.get(
                f"/{_PATHS[resource_type]}/{p}/{d}", tp, cursor=cursor, limit=limit, **params
            )
            yield page
            cursor = page.next_cursor
            if cursor is None:
                return

    # -- registration -------------------------------------------------------------------------

    def upload_bundle(self, data: bytes, digest: str) -> bool:
        """Upload a code bundle unless the server has it; True if it was uploaded."""
        if self._http.request("HEAD", f"/bundles/{digest}").status_code == 200:
            return False
        self._http.request(
            "PUT",
            f"/bundles/{digest}",
            content=data,
            headers={"content-type": "application/octet-stream"},
        )
        return True

    def register_specs(
        self,
        *,
        tasks: tuple[TaskTemplate, ...] = (),
        workflows: tuple[CompiledWorkflow, ...] = (),
        launch_plans: tuple[LaunchPlanSpec, ...] = (),
        bundle: str = "",
    ) -> RegisterResult:
        """Register fully identified specs atomically (identical ones are no-ops)."""
        body = RegisterRequest(
            tasks=tasks, workflows=workflows, launch_plans=launch_plans, bundle=bundle
        )
        return self._http.send("POST", "/registrations", body, RegisterResult)

    def register(
        self,
        *paths: str | Path,
        version: str | None = None,
        project: str | None = None,
        domain: str | None = None,
        reuse_specs: bool = True,
    ) -> Registration:
        """Register every task, workflow and launch plan under ``paths`` with their code.

        The bundle of the code root's sources is uploaded once (by content hash). ``version``
        defaults to the git commit of a clean work tree, else the bundle's content hash. The
        specs found are remembered by the content of the sources: when nothing changed, they are
        registered again without importing the user's modules (``reuse_specs=False`` imports
        them regardless, for specs that depend on more than the code root's sources).
        """
        p, d = self._scope(project, domain)
        code_root, files = source_paths(list(paths))
        bundle = build_bundle(code_root)
        key = spec_cache_key(code_root, files, bundle.digest)
        # before the specs are saved: a home inside the work tree must not make it look changed
        version = version or default_version(code_root, bundle.digest)
        found = load_specs(key) if reuse_specs else None
        reused = found is not None
        if found is None:
            found = discover(list(paths))
            save_specs(key, found)
        _check_environments(found.tasks)

        def fill(spec: T) -> T:
            return _with_ids(spec, p, d, version)

        uploaded = self.upload_bundle(bundle.data, bundle.digest)
        result = self.register_specs(
            tasks=tuple(fill(t) for t in found.tasks),
            workflows=tuple(fill(w) for w in found.workflows),
            launch_plans=tuple(fill(lp) for lp in found.launch_plans),
            bundle=bundle.digest,
        )
        return Registration(
            version, bundle.digest, uploaded, result.created, result.unchanged, reused
        )

    # -- settings -----------------------------------------------------------------------------

    def get_settings(
        self,
        *,
        project: str | None = None,
        domain: str | None = None,
        workflow: str | None = None,
        launch_plan: str | None = None,
    ) -> Settings:
        """Settings stored for the project (no ``domain``), for the project+``domain``, or for
        one ``workflow`` or ``launch_plan`` of the project+``domain``."""
        p, _ = self._scope(project, None)
        path = _settings_path(p, domain or "", workflow, launch_plan)
        return self._http.get(path, Settings)

    def set_settings(
        self,
        settings: Settings,
        *,
        project: str | None = None,
        domain: str | None = None,
        workflow: str | None = None,
        launch_plan: str | None = None,
    ) -> Settings:
        """Replace the settings of the project (no ``domain``), of the project+``domain``, or
        of one ``workflow`` or ``launch_plan`` of the project+``domain`` (their executions'
        settings, over the project+domain's: ``execution_cluster`` routes them)."""
        p, _ = self._scope(project, None)
        path = _settings_path(p, domain or "", workflow, launch_plan)
        return self._http.send("PUT", path, settings, Settings)

    def resolved_settings(
        self,
        task: str | None = None,
        version: str | None = None,
        *,
        project: str | None = None,
        domain: str | None = None,
    ) -> Settings:
        """Effective settings in project/domain, for a registered task if ``task`` is given."""
        p, d = self._scope(project, domain)
        return self._http.get(
            f"/projects/{p}/domains/{d}/settings/resolved",
            Settings,
            task=task,
            version=version or ("latest" if task else None),
        )

    # -- promotion ----------------------------------------------------------------------------

    def promote(
        self,
        resource_type: ResourceType | str,
        name: str,
        version: str,
        *,
        from_domain: str,
        to_domain: str,
        project: str | None = None,
        promoted_by: str | None = None,
    ) -> Promotion:
        """Register an entity of ``from_domain`` (and what it needs) in ``to_domain``.

        ``version="latest"`` promotes the newest version registered in ``from_domain``.
        """
        p, _ = self._scope(project, None)
        if version == "latest":
            newest = self.fetch(
                ResourceType(resource_type), name, "latest", project=p, domain=from_domain
            )
            version = newest.id.version
        body = PromoteRequest(
            resource_type=ResourceType(resource_type),
            project=p,
            name=name,
            version=version,
            from_domain=from_domain,
            to_domain=to_domain,
            promoted_by=promoted_by or _user(),
        )
        return self._http.send("POST", "/promotions", body, Promotion)

    def list_promotions(
        self, *, project: str | None = None, limit: int | None = None
    ) -> list[Promotion]:
        """The promotion log of the project, newest first."""
        p, _ = self._scope(project, None)
        return self._all(f"/projects/{p}/promotions", Page[Promotion], limit)


def _spec_type(resource_type: ResourceType) -> Any:
    return {
        ResourceType.TASK: TaskTemplate,
        ResourceType.WORKFLOW: CompiledWorkflow,
        ResourceType.LAUNCH_PLAN: LaunchPlanSpec,
    }[ResourceType(resource_type)]


def _settings_path(
    project: str, domain: str, workflow: str | None = None, launch_plan: str | None = None
) -> str:
    if workflow is not None or launch_plan is not None:
        if not domain:
            raise ValidationError("the settings of a workflow or a launch plan need a domain")
        target = {"workflow": workflow} if workflow is not None else {"launch_plan": launch_plan}
        return f"/projects/{project}/domains/{domain}/settings?{urlencode(target)}"
    if domain:
        return f"/projects/{project}/domains/{domain}/settings"
    return f"/projects/{project}/settings"


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _with_ids(spec: T, project: str, domain: str, version: str) -> T:
    """``spec`` with project, domain and version filled into every identifier that lacks them;
    the templates of reference entities keep the identifier they name (an empty version stays
    empty: the newest registered version when the reference runs)."""

    def walk(tree: Any) -> Any:
        if isinstance(tree, (list, tuple)):  # structs' tuple fields stay tuples in builtins
            return [walk(x) for x in tree]
        if not isinstance(tree, dict):
            return tree
        if tree.get("type") == "reference" and "loader" in tree:
            return tree  # a reference's template: its id is the referenced entity's, as written
        out = {k: walk(v) for k, v in tree.items()}
        if "resource_type" in out and "name" in out and set(out) <= _ID_FIELDS:
            out.setdefault("project", project)
            out.setdefault("domain", domain)
            out.setdefault("version", version)
            for key, value in (("project", project), ("domain", domain), ("version", version)):
                if not out[key]:
                    out[key] = value
        return out

    return msgspec.convert(walk(msgspec.to_builtins(spec)), type=type(spec))


_ID_FIELDS = {"resource_type", "name", "project", "domain", "version"}


def _check_environments(tasks: tuple[TaskTemplate, ...]) -> None:
    """Refuse to register a task whose ``ImageSpec`` cannot be resolved (the resolver's message)
    or asks for an image build; each spec is resolved once per host, then remembered."""
    specs = [(t.environment_spec, t.id.name) for t in tasks if t.environment_spec is not None]
    if not specs:
        return
    from slipstream.runners import check_resolvable

    seen: set[bytes] = set()
    for spec, task in specs:
        raw = msgspec.json.encode(spec)
        if raw not in seen:
            seen.add(raw)
            check_resolvable(spec, task)
