"""flytekit's ``flytekit.types.schema`` names. flytekit deprecated ``FlyteSchema`` in favour of
``StructuredDataset``; here it is that class, so ``schema.open().all()`` gives a DataFrame."""

from .._structured import StructuredDataset

__all__ = ["FlyteSchema"]

FlyteSchema = StructuredDataset
