"""flytekit's ``flytekit.remote.executions`` module path."""

from ._flyte_execution import FlyteWorkflowExecution

__all__ = ["FlyteWorkflowExecution"]
