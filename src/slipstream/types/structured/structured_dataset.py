"""flytekit's ``flytekit.types.structured.structured_dataset`` module path: the dataset class,
the handler API, the model classes handlers use, and the format names (``PARQUET``, ``CSV``,
``GENERIC_FORMAT``)."""

from slipstream.errors import ConflictError

from .._columns import kwtypes
from .._sd_engine import StructuredDatasetTransformerEngine
from .._sd_handlers import (
    CSV,
    GENERIC_FORMAT,
    PARQUET,
    StructuredDatasetDecoder,
    StructuredDatasetEncoder,
)
from .._sd_models import StructuredDatasetMetadata, StructuredDatasetType
from .._structured import StructuredDataset

__all__ = [
    "CSV",
    "GENERIC_FORMAT",
    "PARQUET",
    "DuplicateHandlerError",
    "StructuredDataset",
    "StructuredDatasetDecoder",
    "StructuredDatasetEncoder",
    "StructuredDatasetFormat",
    "StructuredDatasetMetadata",
    "StructuredDatasetTransformerEngine",
    "StructuredDatasetType",
    "kwtypes",
]

StructuredDatasetFormat = str
DuplicateHandlerError = ConflictError
