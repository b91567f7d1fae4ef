"""flytekit's ``flytekit.types.pickle`` names (``BatchSize``)."""

from .._batch import BatchSize

__all__ = ["BatchSize"]
