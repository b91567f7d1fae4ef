"""Native table I/O: pandas, polars and pyarrow frames as Parquet or CSV blobs.

The frame libraries are imported only to convert a value, and a frame type is only recognised when
its library is already imported (a user annotating ``pd.DataFrame`` imported pandas). For local
stores a blob is written straight to its final path (through a temporary sibling) and read from it
in place: no copies and no hashing on the hot path. A blob may also be a directory of part files
(as custom encoders and flytekit write them); it is read as one table.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slipstream.errors import LiteralTypeError
from slipstream.model import Field, Kind

from ._blobref import write_local_atomic
from ._contract import TypeContext, describe_value

if TYPE_CHECKING:
    from slipstream.storage import BlobStore

__all__ = [
    "ARROW",
    "NATIVE_FORMATS",
    "PANDAS",
    "POLARS",
    "SD",
    "convert_frame",
    "frame_kind",
    "read_frame",
    "write_frame",
]

PANDAS, POLARS, ARROW, SD = "pandas", "polars", "arrow", "sd"
NATIVE_FORMATS = ("parquet", "csv")
_SUFFIX = {"parquet": ".parquet", "csv": ".csv"}


def frame_kind(tp: Any) -> str | None:
    """Which native frame family a class is (pandas, polars, arrow), without importing any frame
    library. (A ``StructuredDataset``, kind ``SD``, wraps a frame: the DataFrame codec tells it.)"""
    if not isinstance(tp, type):
        return None
    pd = sys.modules.get("pandas")
    if pd is not None and issubclass(tp, pd.DataFrame):
        return PANDAS
    pl = sys.modules.get("polars")
    if pl is not None and issubclass(tp, pl.DataFrame):
        return POLARS
    pa = sys.modules.get("pyarrow")
    if pa is not None and issubclass(tp, pa.Table):
        return ARROW
    return None


def column_names(value: Any, kind: str) -> list[str]:
    """A frame's column names."""
    if kind == PANDAS:
        return [str(c) for c in value.columns]
    if kind == POLARS:
        return list(value.columns)
    return list(value.column_names)


def check_columns(have: list[str], declared: tuple[str, ...], where: str) -> None:
    """Fail when a produced table lacks a declared column."""
    if declared:
        present = set(have)
        missing = [c for c in declared if c not in present]
        if missing:
            raise LiteralTypeError(
                f"{where} is missing the declared column(s) {', '.join(map(repr, missing))} "
                f"(it has {', '.join(map(repr, have))})"
            )


def _write(value: Any, kind: str, fmt: str, path: str) -> None:
    if fmt == "csv":
        import pyarrow.csv as pcsv

        pcsv.write_csv(_to_arrow(value, kind, preserve_index=False), path)
        return
    if kind == POLARS:
        value.write_parquet(path)
        return
    import pyarrow.parquet as pq

    table = _to_arrow(value, kind)
    pq.write_table(table, path, use_dictionary=_dictionary_columns(table))


def _to_arrow(value: Any, kind: str, preserve_index: bool | None = None) -> Any:
    if kind == PANDAS:
        import pyarrow as pa

        return pa.Table.from_pandas(value, preserve_index=preserve_index)
    if kind == POLARS:
        return value.to_arrow()
    return value


def _dictionary_columns(table: Any) -> Any:
    """Dictionary-encode every column but floating-point ones.

    Floats almost never repeat, so trying a dictionary for them costs about a third of the write
    time for nothing; strings, categories and integers keep it. Nested schemas keep the default.
    """
    import pyarrow as pa

    types = pa.types
    if any(types.is_nested(f.type) for f in table.schema):
        return True
    return [f.name for f in table.schema if not types.is_floating(f.type)]


def write_frame(value: Any, kind: str, fmt: str, ctx: TypeContext, uri: str | None = None) -> str:
    """Write a frame as a new ``fmt`` blob (under the context's prefix unless ``uri`` is given);
    its URI."""
    uri = uri or ctx.new_uri(_SUFFIX[fmt])
    store = ctx.store
    if not store.owns(uri):
        from slipstream.storage import store_for_uri

        store = store_for_uri(uri)
    local = store.local_path(uri)
    if local is not None:
        tmp = write_local_atomic(local)
        try:
            _write(value, kind, fmt, str(tmp))
            os.replace(tmp, local)
        finally:
            tmp.unlink(missing_ok=True)
    else:
        tmp = ctx.new_local_path(_SUFFIX[fmt])
        try:
            _write(value, kind, fmt, str(tmp))
            store.put_file(tmp, uri)
        finally:
            tmp.unlink(missing_ok=True)
    return uri


def _read_csv(source: Any, cols: list[str] | None) -> Any:
    import pyarrow.csv as pcsv

    opts = pcsv.ConvertOptions(include_columns=cols) if cols else None
    if isinstance(source, Path) and source.is_dir():
        import pyarrow as pa

        parts = sorted(p for p in source.iterdir() if not p.name.startswith((".", "_")))
        return pa.concat_tables([pcsv.read_csv(p, convert_options=opts) for p in parts])
    return pcsv.read_csv(source, convert_options=opts)


def _read_table(store: BlobStore, uri: str, local: Path | None, fmt: str, cols: Any) -> Any:
    import pyarrow.parquet as pq

    reader = _read_csv if fmt == "csv" else lambda src, c: pq.read_table(src, columns=c)
    if local is not None:
        return reader(local, cols)
    try:
        with store.open(uri, "rb") as f:
            return reader(f, cols)
    except (FileNotFoundError, IsADirectoryError):
        if not store.is_dir(uri):
            raise
    import tempfile

    with tempfile.TemporaryDirectory(prefix="slipstream-dataset-") as tmp:
        store.get_dir(uri, tmp)
        return reader(Path(tmp), cols)


def read_frame(
    store: BlobStore | None, uri: str, fmt: str, fields: tuple[Field, ...], kind: str
) -> Any:
    """Read a ``fmt`` blob (only the declared ``fields`` when given) as a ``kind`` frame."""
    from slipstream.storage import store_for_uri

    if fmt not in NATIVE_FORMATS:
        raise LiteralTypeError(
            f"dataset {uri} is stored as {fmt!r}: register a StructuredDatasetDecoder for "
            "that format to read it"
        )
    store = store if store is not None and store.owns(uri) else store_for_uri(uri)
    local = store.local_path(uri)
    cols = [f.name for f in fields] or None
    nested = any(f.type.kind is Kind.STRUCT and f.type.fields for f in fields)
    try:
        polars_direct = kind == POLARS and fmt == "parquet" and not nested
        if polars_direct and local is not None and not local.is_dir():
            import polars as pl

            return pl.read_parquet(local, columns=cols)
        table = _read_table(store, uri, local, fmt, cols)
    except FileNotFoundError:
        from slipstream.errors import NotFoundError

        raise NotFoundError(f"dataset not found: {uri}") from None
    except Exception as e:
        if cols and type(e).__name__ in ("ArrowInvalid", "ColumnNotFoundError", "ArrowKeyError"):
            raise LiteralTypeError(
                f"dataset {uri} does not have every declared column {cols}: {e}"
            ) from None
        raise
    if nested:
        table = project(table, fields)
    return convert_frame(table, kind)


def project(table: Any, fields: tuple[Field, ...]) -> Any:
    """``table`` with only the declared columns and, inside struct columns, the declared
    fields (``kwtypes(info={"contacts": {"tel": str}})``)."""
    import pyarrow as pa

    columns = []
    for f in fields:
        col = table.column(f.name)
        if f.type.kind is Kind.STRUCT and f.type.fields and pa.types.is_struct(col.type):
            chunks = [_project_struct(c, f.type.fields, f.name) for c in col.chunks]
            col = pa.chunked_array(chunks) if chunks else col
        columns.append(col)
    return pa.table(columns, names=[f.name for f in fields])


def _project_struct(arr: Any, fields: tuple[Field, ...], path: str) -> Any:
    import pyarrow as pa

    children = dict(zip([arr.type.field(i).name for i in range(arr.type.num_fields)],
                        arr.flatten(), strict=True))  # fmt: skip
    out = []
    for f in fields:
        child = children.get(f.name)
        if child is None:
            raise LiteralTypeError(
                f"column {path!r} has no field {f.name!r} (it has {', '.join(children)})"
            )
        if f.type.kind is Kind.STRUCT and f.type.fields and pa.types.is_struct(child.type):
            child = _project_struct(child, f.type.fields, f"{path}.{f.name}")
        out.append(child)
    mask = arr.is_null() if arr.null_count else None
    return pa.StructArray.from_arrays(out, names=[f.name for f in fields], mask=mask)


def convert_frame(value: Any, kind: str) -> Any:
    """``value`` (a pandas, polars or arrow frame) as a ``kind`` frame."""
    have = frame_kind(type(value))
    if have == kind:
        return value
    if have is None:
        raise LiteralTypeError(f"expected a DataFrame, got {describe_value(value)}")
    table = _to_arrow(value, have)
    if kind == PANDAS:
        return table.to_pandas()
    if kind == POLARS:
        import polars as pl

        return pl.from_arrow(table)
    return table
