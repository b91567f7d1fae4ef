"""flytekit spellings that carry no behaviour of their own in slipstream.

Ordinary flytekit programs pass options that only matter on a Flyte cluster (pod templates, decks,
accelerators, image specs...). slipstream accepts them so that code moves over with an import
change, keeps what it can use (an image spec's name, labels), and says nothing about the rest.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec

__all__ = [
    "Annotations",
    "create_node",
    "Description",
    "Documentation",
    "ImageSpec",
    "Labels",
    "PodTemplate",
    "SourceCode",
    "docs_text",
    "TASK_OPTIONS_ACCEPTED",
    "WORKFLOW_OPTIONS_ACCEPTED",
    "image_name",
    "logger",
]

logger = logging.getLogger("slipstream")
"""flytekit's ``flytekit.logger``: the logger programs write their own messages to."""

TASK_OPTIONS_ACCEPTED = frozenset(
    {
        "task_config",
        "execution_mode",
        "node_dependency_hints",
        "task_resolver",
        "disable_deck",
        "enable_deck",
        "deck_fields",
        "pod_template",
        "pod_template_name",
        "accelerator",
        "pickle_untyped",
        "shared_memory",
        "labels",
        "annotations",
    }
)
"""``@task`` options of flytekit that only matter on a Flyte cluster: accepted and not used
(``task_config`` only as ``None``: a plugin's config is refused, see ``PythonTask``)."""

WORKFLOW_OPTIONS_ACCEPTED = frozenset({"interruptible", "pickle_untyped", "default_options"})
"""``@workflow`` options of flytekit accepted and not used."""


class ImageSpec(msgspec.Struct, frozen=True, kw_only=True):
    """flytekit's image description. slipstream builds no images: the spec's Python packages
    become the task's environment (a uv virtual environment on the local pool, a ``runtime_env``
    on Ray; see ``slipstream.sdk._environment``), and its name is kept as the task's
    ``container_image``. ``apt_packages`` and ``base_image`` are refused by those runners."""

    name: str = "slipstream-default"
    python_version: str | None = None
    packages: list[str] | None = None
    apt_packages: list[str] | None = None
    base_image: str | None = None
    registry: str | None = None
    requirements: str | None = None
    env: dict[str, str] | None = None
    tag_format: str | None = None
    platform: str | None = None
    # accepted for flytekit compatibility; they describe how an image is built, and none is
    builder: str | None = None
    source_root: str | None = None
    conda_packages: list[str] | None = None
    conda_channels: list[str] | None = None
    cuda: str | None = None
    cudnn: str | None = None
    pip_index: str | None = None
    pip_extra_index_url: list[str] | None = None
    pip_secret_mounts: list[Any] | None = None
    pip_extra_args: str | None = None
    registry_config: str | None = None
    entrypoint: list[str] | None = None
    commands: list[str] | None = None
    source_copy_mode: Any = None
    copy: list[str] | None = None
    python_exec: str | None = None
    runtime_packages: list[str] | None = None
    builder_options: dict[str, Any] | None = None

    def is_container(self) -> bool:
        """Whether code runs where this spec's packages are meant to be: flytekit answers True
        for local runs, and slipstream runs every task locally (in the environment the spec
        gives it), so always True. Guard imports with it as with flytekit."""
        return True

    def exist(self) -> bool | None:
        """Whether the image exists in its registry: unknown (None); slipstream builds none."""
        return None

    def _extended(self, field: str, values: str | list[str]) -> ImageSpec:
        more = [values] if isinstance(values, str) else list(values)
        return msgspec.structs.replace(self, **{field: [*(getattr(self, field) or []), *more]})

    def with_packages(self, packages: str | list[str]) -> ImageSpec:
        """A copy with more Python packages."""
        return self._extended("packages", packages)

    def with_apt_packages(self, apt_packages: str | list[str]) -> ImageSpec:
        """A copy with more system packages."""
        return self._extended("apt_packages", apt_packages)

    def with_commands(self, commands: str | list[str]) -> ImageSpec:
        """A copy with more build commands."""
        return self._extended("commands", commands)

    def with_copy(self, src: str | list[str]) -> ImageSpec:
        """A copy with more files to copy into the image."""
        return self._extended("copy", src)


def image_name(image: Any) -> str:
    """The image a task names: a string as given, an :class:`ImageSpec` by registry/name."""
    if image is None:
        return ""
    if isinstance(image, str):
        return image
    name = getattr(image, "name", "") or ""
    registry = getattr(image, "registry", None)
    return f"{registry}/{name}" if registry else str(name)


class Description(msgspec.Struct, frozen=True, kw_only=True):
    """A long description of a task or workflow (flytekit's ``Description``)."""

    value: str | None = None
    uri: str | None = None
    icon_link: str | None = None
    format: str = "rst"


class SourceCode(msgspec.Struct, frozen=True, kw_only=True):
    """Where the code lives (flytekit's ``SourceCode``)."""

    link: str | None = None


class Documentation(msgspec.Struct, frozen=True, kw_only=True):
    """``@task(docs=Documentation(short_description=..., long_description=Description(...)))``."""

    short_description: str | None = None
    long_description: Description | None = None
    source_code: SourceCode | None = None


def docs_text(docs: Any) -> str | None:
    """The text of a ``docs`` option: a string as given, a :class:`Documentation` rendered."""
    if docs is None or isinstance(docs, str):
        return docs
    if isinstance(docs, Documentation):
        parts = [docs.short_description or ""]
        long = docs.long_description
        if long is not None and (long.value or long.uri):
            parts.append(long.value or long.uri or "")
        if docs.source_code is not None and docs.source_code.link:
            parts.append(f"Source: {docs.source_code.link}")
        return "\n\n".join(p for p in parts if p)
    raise TypeError(f"docs must be a str or a Documentation, got {type(docs).__name__}")


class PodTemplate(msgspec.Struct, frozen=True, kw_only=True):
    """flytekit's Kubernetes pod template: accepted (``pod_template=``) and not used, since
    slipstream runs tasks in worker processes rather than pods."""

    pod_spec: Any = None
    primary_container_name: str = "primary"
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None


class Labels(msgspec.Struct, frozen=True):
    """Labels of an execution (``Labels({"team": "ml"})``)."""

    values: dict[str, str] = {}


class Annotations(msgspec.Struct, frozen=True):
    """Annotations of an execution (``Annotations({"owner": "ada"})``)."""

    values: dict[str, str] = {}


def create_node(entity: Any, *args: Any, **kwargs: Any) -> Any:
    """flytekit's ``create_node``: call ``entity`` in a workflow body and get the node itself
    (``node.outputs["o0"]``, ``node1 >> node2``, ``node.with_overrides(...)``)."""
    from slipstream.errors import CompileError

    from ._compiler import current_builder
    from ._location import caller_location

    builder = current_builder()
    if builder is None:
        raise CompileError(
            "create_node can only be used inside a workflow body", location=caller_location()
        )
    if args:
        raise CompileError("create_node takes keyword inputs only", location=caller_location())
    return builder.add_entity_node(entity, kwargs, caller_location())
