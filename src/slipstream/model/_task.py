"""Task templates: everything the platform needs to run a task, without its Python code."""

from __future__ import annotations

from typing import Any

import msgspec

from ._environment import EnvironmentSpec
from ._identifier import Identifier
from ._interface import Interface

__all__ = [
    "CacheSpec",
    "ResourceSpec",
    "SecretRequest",
    "TaskLoader",
    "TaskMetadata",
    "TaskTemplate",
]


class CacheSpec(msgspec.Struct, frozen=True, omit_defaults=True):
    """Cache settings of a task. ``version`` is always set once compiled (source hash if not given)."""

    version: str
    serialize: bool = False
    ignore_inputs: tuple[str, ...] = ()
    ttl_s: float | None = None
    """How long an entry stays a hit after it was written (None: until evicted)."""


class ResourceSpec(msgspec.Struct, frozen=True, omit_defaults=True):
    """Resource requests and limits; quantities keep Kubernetes' spelling (``"2"``, ``"500Mi"``)."""

    cpu: str | None = None
    mem: str | None = None
    gpu: str | None = None
    ephemeral_storage: str | None = None


class SecretRequest(msgspec.Struct, frozen=True, omit_defaults=True):
    """A secret a task needs at run time, looked up by group and key."""

    group: str
    key: str | None = None
    env_var: str | None = None


class TaskMetadata(msgspec.Struct, frozen=True, omit_defaults=True):
    """Run-time behaviour of a task."""

    retries: int = 0
    timeout_s: float | None = None
    interruptible: bool = False
    cache: CacheSpec | None = None
    deprecated: str = ""
    docs: str = ""
    non_retryable: tuple[str, ...] = ()
    """Qualified names of exception classes that are never retried."""
    system_retries: int | None = None
    """At most this many retries of failures that are not the task's own (a lost worker, a lost
    engine host); None: the platform's default, 0: none (restarts of the engine host are never
    charged)."""


class TaskLoader(msgspec.Struct, frozen=True, omit_defaults=True):
    """How a worker finds the task's function: an importable module and a qualified name.

    ``file`` is the source file relative to the code root, for modules run as scripts
    (``__main__``) and for code bundles.
    """

    module: str
    qualname: str
    file: str = ""


class TaskTemplate(msgspec.Struct, frozen=True, omit_defaults=True):
    """A compiled task. ``type`` is ``python``, ``dynamic`` or ``map`` (a mapped python task)."""

    id: Identifier
    interface: Interface
    loader: TaskLoader
    type: str = "python"
    metadata: TaskMetadata = TaskMetadata()
    requests: ResourceSpec = ResourceSpec()
    limits: ResourceSpec = ResourceSpec()
    environment: dict[str, str] = {}
    secrets: tuple[SecretRequest, ...] = ()
    container_image: str = ""
    environment_spec: EnvironmentSpec | None = None
    """The Python environment an ``ImageSpec`` asked for (None: the runner's own)."""
    custom: dict[str, Any] = {}
    """A plugin's settings (flytekit's ``TaskTemplate.custom``): what a connector for this ``type``
    reads, such as the address of the service that runs it. Data only, never code."""
