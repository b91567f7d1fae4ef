"""``reference_task``, ``reference_workflow``, ``reference_launch_plan``: typed stubs of entities
registered on a server (by project, domain, name and version), used in workflows like local ones.

The stub's signature is the interface: calls are checked against it when a workflow is compiled.
The node's template has type ``reference`` and the referenced identifier as its id. A reference runs
on the server that holds it; a local run has no such server, so calling one raises a clear error
unless a test substituted a local function for it (``with ref.substitute(fn): ...``).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

import msgspec

from slipstream.errors import ConfigError
from slipstream.model import Identifier, ResourceType, TaskTemplate

from ._task import PythonTask

__all__ = [
    "ReferenceEntity",
    "reference_launch_plan",
    "reference_task",
    "reference_workflow",
]

_KINDS = {
    ResourceType.TASK: "reference task",
    ResourceType.WORKFLOW: "reference workflow",
    ResourceType.LAUNCH_PLAN: "reference launch plan",
}


class ReferenceEntity(PythonTask[..., Any]):
    """A registered task, workflow or launch plan, known here by its typed stub."""

    task_type = "reference"

    def __init__(
        self,
        fn: Callable[..., Any],
        resource_type: ResourceType,
        project: str,
        domain: str,
        name: str,
        version: str,
    ) -> None:
        what = _KINDS[resource_type]
        for field, value in (("project", project), ("domain", domain), ("name", name)):
            if not isinstance(value, str) or not value:
                raise ValueError(f"{what} {fn.__qualname__}: {field} must be a non-empty string")
        super().__init__(fn, name=name, check_returns=False)
        self.reference = Identifier(resource_type, name, project, domain, version or "")
        self.what = what
        self._substitutes: list[Callable[..., Any]] = []
        self._lock = threading.Lock()

    @property
    def template(self) -> TaskTemplate:
        """The task template, with the referenced identifier as its id."""
        base = super().template
        return msgspec.structs.replace(base, id=self.reference)

    @contextlib.contextmanager
    def substitute(self, fn: Callable[..., Any]) -> Iterator[ReferenceEntity]:
        """Run ``fn`` (a function or a task with the same inputs) instead of the referenced
        entity while the block runs: ``with ref.substitute(fake): wf(x=1)``. It applies to runs in
        this process (the inline runner, the default for ``wf(...)``)."""
        with self._lock:
            self._substitutes.append(fn)
        try:
            yield self
        finally:
            with self._lock:
                self._substitutes.remove(fn)

    def execute(self, **kwargs: Any) -> Any:
        """The substitute's result; without one, an error saying where a reference runs."""
        with self._lock:
            fn = self._substitutes[-1] if self._substitutes else None
        if fn is not None:
            inner = getattr(fn, "_fn", fn)  # a @task substitute: call its function
            return inner(**kwargs)
        ref = self.reference
        where = f"{ref.project}/{ref.domain}/{ref.name}" + (
            f"@{ref.version}" if ref.version else ""
        )
        if not os.environ.get("SLIPSTREAM_ENDPOINT"):
            raise ConfigError(
                f"{self.what} {where} runs on the slipstream server that registered it, and no "
                "server is configured (set SLIPSTREAM_ENDPOINT or run with --remote); in tests, "
                f"substitute a local function: `with {self._fn.__name__}.substitute(fn): ...`"
            )
        raise ConfigError(
            f"{self.what} {where}: a server is configured, but this run is local; references run "
            "only in executions on the server (slipstream run --remote)"
        )

    def __repr__(self) -> str:
        return f"ReferenceEntity({self.reference})"


def _decorator(
    resource_type: ResourceType, project: str, domain: str, name: str, version: str
) -> Callable[[Callable[..., Any]], ReferenceEntity]:
    def wrap(fn: Callable[..., Any]) -> ReferenceEntity:
        return ReferenceEntity(fn, resource_type, project, domain, name, version)

    return wrap


def reference_task(
    project: str, domain: str, name: str, version: str
) -> Callable[[Callable[..., Any]], ReferenceEntity]:
    """A task registered on a server, by its typed stub (flytekit's ``@reference_task``)."""
    return _decorator(ResourceType.TASK, project, domain, name, version)


def reference_workflow(
    project: str, domain: str, name: str, version: str
) -> Callable[[Callable[..., Any]], ReferenceEntity]:
    """A workflow registered on a server, by its typed stub (``@reference_workflow``)."""
    return _decorator(ResourceType.WORKFLOW, project, domain, name, version)


def reference_launch_plan(
    project: str, domain: str, name: str, version: str
) -> Callable[[Callable[..., Any]], ReferenceEntity]:
    """A launch plan registered on a server, by its typed stub (``@reference_launch_plan``)."""
    return _decorator(ResourceType.LAUNCH_PLAN, project, domain, name, version)
