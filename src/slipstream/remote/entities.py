"""flytekit's ``flytekit.remote.entities`` module path."""

from ._flyte_entities import FlyteLaunchPlan, FlyteTask, FlyteWorkflow

__all__ = ["FlyteLaunchPlan", "FlyteTask", "FlyteWorkflow"]
