"""The control plane's wire model: projects, settings, registration, promotion and pages.

Server and client (``slipstream.remote``) both speak these structs; the API's OpenAPI schemas are
generated from them, so they are the single description of the REST API's bodies.
"""

from __future__ import annotations

import enum
from typing import Generic, TypeVar

import msgspec

from ._identifier import Identifier, ResourceType
from ._launch_plan import LaunchPlanSpec
from ._retention import RetentionPolicy
from ._task import ResourceSpec, TaskTemplate
from ._workflow import CompiledWorkflow

__all__ = [
    "OomRetry",
    "Page",
    "Project",
    "ProjectCreate",
    "ProjectState",
    "PromoteRequest",
    "Promotion",
    "RegisterRequest",
    "RegisterResult",
    "Registered",
    "Settings",
]

T = TypeVar("T")


class ProjectState(enum.StrEnum):
    """An archived project keeps its entities but accepts no new registrations."""

    ACTIVE = "active"
    ARCHIVED = "archived"


class ProjectCreate(msgspec.Struct, frozen=True, omit_defaults=True, forbid_unknown_fields=True):
    """The body of ``POST /api/v1/projects``."""

    name: str
    description: str = ""
    labels: dict[str, str] = {}


class Project(msgspec.Struct, frozen=True, omit_defaults=True):
    """A project: the unit of ownership; every entity lives in one project and one domain."""

    name: str
    description: str = ""
    labels: dict[str, str] = {}
    state: ProjectState = ProjectState.ACTIVE
    domains: tuple[str, ...] = ()
    created_at: float = 0.0


class OomRetry(msgspec.Struct, frozen=True, omit_defaults=True, forbid_unknown_fields=True):
    """How an attempt killed for memory runs again: with its memory limit (and request) times
    ``factor``, never above ``max`` (a quantity such as ``"8Gi"``). Such retries spend neither the
    task's ``retries`` nor the platform's budget; the cap bounds them. An attempt that goes over a
    limit already at the cap fails the node."""

    factor: float = 2.0
    max: str = "8Gi"


class Settings(msgspec.Struct, frozen=True, omit_defaults=True, forbid_unknown_fields=True):
    """Settings of a project or of a project+domain (Flyte's matchable attributes).

    ``None`` means "not set here": resolution goes task < project < project+domain < execution
    override, and a later layer wins field by field (dicts merge key by key).
    """

    default_resources: ResourceSpec | None = None
    max_resources: ResourceSpec | None = None
    raw_data_location: str | None = None
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None
    environment: dict[str, str] | None = None
    max_parallelism: int | None = None
    runner: str | None = None
    allowed_input_prefixes: tuple[str, ...] | None = None
    """URI prefixes (``s3://bucket/data/``) whose blobs launchers may pass as inputs, besides the
    project's own uploads and executions' data; set by an admin."""
    oom_retry: OomRetry | None = None
    """How attempts killed for memory grow on retry (the engine's default when unset)."""
    retention: RetentionPolicy | None = None
    """Which ended executions are kept (all when unset); a domain's policy replaces the
    project's as a whole."""
    execution_cluster: tuple[str, ...] | None = None
    """The compute clusters executions run on, in order of preference: the first whose hosts
    are alive takes them, the next ones take over when it fails (Flyte's execution cluster
    label, as a list)."""


class Registered(msgspec.Struct, Generic[T], frozen=True, omit_defaults=True):
    """A registered, immutable entity: its identifier, spec, code bundle and content digest."""

    id: Identifier
    spec: T
    digest: str
    bundle: str = ""
    created_at: float = 0.0


class RegisterRequest(msgspec.Struct, frozen=True, omit_defaults=True, forbid_unknown_fields=True):
    """The body of ``POST /api/v1/registrations``: entities registered together, atomically.

    Every identifier must carry project, domain and version. ``bundle`` is the digest of an uploaded
    code bundle (empty for entities that need no code, such as launch plans alone).
    """

    tasks: tuple[TaskTemplate, ...] = ()
    workflows: tuple[CompiledWorkflow, ...] = ()
    launch_plans: tuple[LaunchPlanSpec, ...] = ()
    bundle: str = ""


class RegisterResult(msgspec.Struct, frozen=True):
    """What a registration did: ``created`` entities are new, ``unchanged`` were already there."""

    created: tuple[Identifier, ...] = ()
    unchanged: tuple[Identifier, ...] = ()


class PromoteRequest(msgspec.Struct, frozen=True, omit_defaults=True, forbid_unknown_fields=True):
    """The body of ``POST /api/v1/promotions``."""

    resource_type: ResourceType
    project: str
    name: str
    version: str
    from_domain: str
    to_domain: str
    promoted_by: str = ""


class Promotion(msgspec.Struct, frozen=True, omit_defaults=True):
    """The audit record of one promotion: who promoted what, from where to where, and when."""

    id: int
    resource_type: ResourceType
    project: str
    name: str
    version: str
    from_domain: str
    to_domain: str
    promoted_by: str
    promoted_at: float
    entities: tuple[Identifier, ...] = ()


class Page(msgspec.Struct, Generic[T], frozen=True):
    """One page of a list; pass ``next_cursor`` back as ``cursor`` for the next (None: last page)."""

    items: tuple[T, ...]
    next_cursor: str | None = None
