"""flytekit's ``flytekit.types.structured`` names: the dataset class, its handler API and the
``register_*_handlers`` functions (pandas, polars and pyarrow in Parquet and CSV are built in, so
those only keep flytekit programs running)."""

from .._columns import kwtypes
from .._sd_engine import StructuredDatasetTransformerEngine
from .._sd_handlers import (
    StructuredDatasetDecoder,
    StructuredDatasetEncoder,
)
from .._structured import StructuredDataset

__all__ = [
    "StructuredDataset",
    "StructuredDatasetDecoder",
    "StructuredDatasetEncoder",
    "StructuredDatasetTransformerEngine",
    "kwtypes",
    "register_arrow_handlers",
    "register_csv_handlers",
    "register_pandas_handlers",
    "register_polars_handlers",
]


def register_csv_handlers() -> None:
    """CSV for pandas, polars and pyarrow frames is built in: nothing to register."""


def register_pandas_handlers() -> None:
    """pandas DataFrames are built in: nothing to register."""


def register_arrow_handlers() -> None:
    """pyarrow Tables are built in: nothing to register."""


def register_polars_handlers() -> None:
    """polars DataFrames are built in: nothing to register."""
