"""``StructuredDataset`` and ``kwtypes``: tabular data passed between tasks as Parquet.

``StructuredDataset(dataframe=df)`` wraps a DataFrame a task returns; a received one is opened as
the DataFrame type the task wants: ``sd.open(pd.DataFrame).all()`` (or ``pl.DataFrame``,
``pa.Table``). Declare columns with ``Annotated[StructuredDataset, kwtypes(a=int, b=str)]`` (or on a
DataFrame type): only those columns are read, and a produced table missing one is an error.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from slipstream.storage import BlobStore

__all__ = ["Columns", "StructuredDataset", "kwtypes"]


class Columns(OrderedDict[str, Any]):
    """A column schema (name -> Python type). Hashable, so annotations using it are cached."""

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(self.items()))


def kwtypes(**kwargs: Any) -> Columns:
    """Column names and types, in order: ``kwtypes(a=int, b=str)``."""
    return Columns(kwargs)


class StructuredDataset:
    """A table: either an in-memory ``dataframe`` or a stored one at ``uri`` (read on demand)."""

    def __init__(
        self,
        dataframe: Any = None,
        uri: str | None = None,
        file_format: str = "parquet",
        metadata: Any = None,
    ) -> None:
        if dataframe is None and uri is None:
            raise ValueError("StructuredDataset needs a dataframe or a uri")
        self.dataframe = dataframe
        self.uri = uri
        self.file_format = file_format
        self.metadata = metadata
        self._columns: tuple[str, ...] | None = None
        self._store: BlobStore | None = None
        self._open_as: Any = None

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        """Lets pydantic models hold datasets: a ``StructuredDataset`` or a DataFrame to wrap;
        serialized to JSON as its URI (the type engine still stores the table)."""
        from ._pydantic_schema import dataset_schema

        return dataset_schema(cls)

    @property
    def columns(self) -> tuple[str, ...] | None:
        """The declared columns this dataset is read with (None: all)."""
        return self._columns

    def open(self, dataframe_type: Any = None) -> StructuredDataset:
        """Choose the DataFrame type ``all()`` returns (pandas, polars or pyarrow; pandas when
        not given)."""
        self._open_as = dataframe_type
        return self

    def all(self) -> Any:
        """The whole table as the type chosen with ``open`` (pandas by default)."""
        from ._dataframe import convert_frame, read_parquet, resolve_frame_type

        target = resolve_frame_type(self._open_as)
        if self.dataframe is not None:
            return convert_frame(self.dataframe, target)
        assert self.uri is not None
        return read_parquet(self._store, self.uri, self._columns, target)

    def iter(self) -> Any:
        """An iterator of DataFrames (one for now: the whole table)."""
        yield self.all()

    def __repr__(self) -> str:
        if self.uri is not None:
            return f"StructuredDataset(uri={self.uri!r})"
        return f"StructuredDataset(dataframe=<{type(self.dataframe).__name__}>)"
