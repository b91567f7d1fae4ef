"""flytekit's ``flytekit.types.error`` names (``FlyteError``, what ``on_failure`` receives)."""

from .._error import WorkflowError

__all__ = ["FlyteError"]

FlyteError = WorkflowError
