"""flytekit's fetched entities (``FlyteTask``, ``FlyteWorkflow``, ``FlyteLaunchPlan``): a
registered entity as ``FlyteRemote.fetch_*`` returns it, usable in ``FlyteRemote.execute``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slipstream.model import CompiledWorkflow, Identifier, Interface, Registered, TaskTemplate

__all__ = ["FlyteEntity", "FlyteLaunchPlan", "FlyteTask", "FlyteWorkflow"]


@dataclass(frozen=True)
class FlyteEntity:
    """A registered task, workflow or launch plan: ``id`` (project, domain, name, version) and
    the ``registered`` record with its spec."""

    registered: Registered[Any]

    @property
    def id(self) -> Identifier:
        """Project, domain, name and version."""
        return self.registered.id

    @property
    def name(self) -> str:
        """The entity's name."""
        return self.registered.id.name

    @property
    def spec(self) -> Any:
        """The registered spec (``TaskTemplate``, ``CompiledWorkflow`` or ``LaunchPlanSpec``)."""
        return self.registered.spec


class FlyteTask(FlyteEntity):
    """A registered task."""

    @property
    def interface(self) -> Interface:
        """The task's typed interface."""
        spec: TaskTemplate = self.spec
        return spec.interface


class FlyteWorkflow(FlyteEntity):
    """A registered workflow."""

    @property
    def interface(self) -> Interface:
        """The workflow's typed interface."""
        spec: CompiledWorkflow = self.spec
        return spec.workflow.interface


class FlyteLaunchPlan(FlyteEntity):
    """A registered launch plan."""
