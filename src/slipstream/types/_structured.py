"""``StructuredDataset`` and ``kwtypes``: tabular data passed between tasks as Parquet.

``StructuredDataset(dataframe=df)`` wraps a DataFrame a task returns; a received one is opened as
the DataFrame type the task wants: ``sd.open(pd.DataFrame).all()`` (or ``pl.DataFrame``,
``pa.Table``). Declare columns with ``Annotated[StructuredDataset, kwtypes(a=int, b=str)]`` (or on a
DataFrame type): only those columns are read, and a produced table missing one is an error.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from slipstream.storage import BlobStore

from ._columns import Columns
from ._frame_io import SD, frame_kind

__all__ = ["StructuredDataset", "table_kind"]


class StructuredDataset:
    """A table: either an in-memory ``dataframe`` or a stored one at ``uri`` (read on demand).

    ``file_format`` is the format to store ``dataframe`` in when the declared type names none
    (``""``: the default, Parquet for DataFrames). ``StructuredDataset(dataframe=df, uri=...)``
    writes the table to that location.
    """

    def __init__(
        self,
        dataframe: Any = None,
        uri: str | None = None,
        file_format: str = "",
        metadata: Any = None,
    ) -> None:
        if dataframe is None and uri is None:
            raise ValueError("StructuredDataset needs a dataframe or a uri")
        self.dataframe = dataframe
        self.uri = uri
        self.file_format = file_format
        self.metadata = metadata
        self._fields: tuple[Any, ...] = ()
        self._store: BlobStore | None = None
        self._handlers: Any = None
        self._open_as: Any = None

    def __class_getitem__(cls, columns: Any) -> Any:
        """flytekit's ``FlyteSchema[kwtypes(a=int)]`` (a format after the columns is ignored:
        tables are Parquet): ``Annotated[StructuredDataset, kwtypes(a=int)]``."""
        import typing

        if isinstance(columns, tuple):
            columns = columns[0]
        return typing.Annotated[cls, Columns(columns)]

    def _bind(self, store: BlobStore, fields: tuple[Any, ...], handlers: Any) -> None:
        """Where a received dataset is read from, with the columns its reader declared."""
        self._store = store
        self._fields = fields
        self._handlers = handlers

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        """Lets pydantic models hold datasets: a ``StructuredDataset`` or a DataFrame to wrap;
        serialized to JSON as its URI (the type engine still stores the table)."""
        from ._pydantic_schema import dataset_schema

        return dataset_schema(cls)

    @property
    def columns(self) -> tuple[str, ...] | None:
        """The declared columns this dataset is read with (None: all)."""
        return tuple(f.name for f in self._fields) or None

    def open(self, dataframe_type: Any = None) -> StructuredDataset:
        """Choose the type ``all()`` returns: a pandas, polars or pyarrow frame (pandas when not
        given), or any type a registered ``StructuredDatasetDecoder`` reads."""
        self._open_as = dataframe_type
        return self

    def _read(self) -> Any:
        if self.dataframe is not None:
            return self._convert_in_memory()
        from ._dataset_read import read_dataset
        from ._sd_handlers import default_handlers

        assert self.uri is not None
        handlers = self._handlers or default_handlers()
        fmt = self.file_format or "parquet"
        return read_dataset(self._open_as, self._store, self.uri, fmt, self._fields, handlers)

    def _convert_in_memory(self) -> Any:
        from ._frame_io import PANDAS, convert_frame

        target = self._open_as
        if isinstance(target, type) and isinstance(self.dataframe, target):
            return self.dataframe
        if target is None:
            have = frame_kind(type(self.dataframe))
            return self.dataframe if have is None else convert_frame(self.dataframe, PANDAS)
        kind = frame_kind(target)
        if kind is None:
            from slipstream.errors import LiteralTypeError

            raise LiteralTypeError(
                f"cannot open a {type(self.dataframe).__name__} dataset as {target!r}"
            )
        return convert_frame(self.dataframe, kind)

    def all(self) -> Any:
        """The whole table as the type chosen with ``open`` (pandas by default)."""
        value = self._read()
        if isinstance(value, Iterator):
            raise ValueError(
                "this dataset's decoder returns an iterator of frames: read it with iter()"
            )
        return value

    def iter(self) -> Iterator[Any]:
        """An iterator of frames: the decoder's chunks, or the whole table as one."""
        from ._dataset_read import iterate

        return iterate(self._read())

    def __repr__(self) -> str:
        if self.uri is not None:
            return f"StructuredDataset(uri={self.uri!r})"
        return f"StructuredDataset(dataframe=<{type(self.dataframe).__name__}>)"


def table_kind(tp: Any) -> str | None:
    """Which table family a class is, without importing any frame library: ``SD`` for a
    :class:`StructuredDataset`, else the family of a native frame class (pandas, polars, arrow:
    :func:`._frame_io.frame_kind`), else None."""
    if not isinstance(tp, type):
        return None
    if issubclass(tp, StructuredDataset):
        return SD
    return frame_kind(tp)
