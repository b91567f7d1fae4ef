"""Identifiers of registered entities and of executions."""

from __future__ import annotations

import enum

import msgspec

__all__ = ["ExecutionId", "Identifier", "ResourceType"]


class ResourceType(enum.StrEnum):
    """What an :class:`Identifier` names."""

    TASK = "task"
    WORKFLOW = "workflow"
    LAUNCH_PLAN = "launch_plan"


class Identifier(msgspec.Struct, frozen=True, omit_defaults=True):
    """Project, domain, name and version of a task, workflow or launch plan.

    Local runs leave project, domain and version empty; registration fills them in.
    """

    resource_type: ResourceType
    name: str
    project: str = ""
    domain: str = ""
    version: str = ""

    def __str__(self) -> str:
        parts = [p for p in (self.project, self.domain, self.name) if p]
        s = "/".join(parts)
        return f"{s}@{self.version}" if self.version else s


class ExecutionId(msgspec.Struct, frozen=True):
    """The identity of one execution: ``project``, ``domain`` and a unique ``name``."""

    project: str
    domain: str
    name: str

    def __str__(self) -> str:
        return f"{self.project}/{self.domain}/{self.name}"
