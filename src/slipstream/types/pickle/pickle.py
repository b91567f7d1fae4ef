"""flytekit's ``flytekit.types.pickle.pickle`` module path."""

from .._batch import BatchSize

__all__ = ["BatchSize"]
