"""flytekit's ``flytekit.types.structured.structured_dataset`` module path: the class and the
format names (``PARQUET``; ``CSV`` is accepted as a name, tables are stored as Parquet)."""

from .._structured import StructuredDataset, kwtypes

__all__ = ["CSV", "PARQUET", "StructuredDataset", "kwtypes"]

PARQUET = "parquet"
CSV = "csv"
