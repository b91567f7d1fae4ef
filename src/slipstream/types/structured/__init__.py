"""flytekit's ``flytekit.types.structured`` names (``StructuredDataset``)."""

from .._structured import StructuredDataset, kwtypes

__all__ = ["StructuredDataset", "kwtypes"]
