"""flytekit's ``flytekit.types.error.error`` module path (``FlyteError``)."""

from .._error import WorkflowError

__all__ = ["FlyteError"]

FlyteError = WorkflowError
