"""Structured datasets beyond the built-in frames: custom encoders and decoders, formats, column
subsetting (flat, nested, by dataclass), and a custom table type across a task boundary."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from slipstream import task, workflow
from slipstream.errors import ConflictError, LiteralTypeError
from slipstream.model import Kind
from slipstream.runners import execute_local
from slipstream.types import (
    DatasetHandlers,
    DatasetLiteral,
    StructuredDataset,
    StructuredDatasetDecoder,
    StructuredDatasetEncoder,
    StructuredDatasetMetadata,
    StructuredDatasetTransformerEngine,
    StructuredDatasetType,
    TypeContext,
    TypeEngine,
    kwtypes,
)
from slipstream.types.structured.structured_dataset import CSV, PARQUET

JSONL = "jsonl"


class Rows:
    """A custom table type: a list of dict rows, stored as JSON lines by the handlers below."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows


class RowsEncoder(StructuredDatasetEncoder[Rows]):
    def __init__(self) -> None:
        super().__init__(Rows, None, JSONL)

    def encode(
        self, ctx: Any, structured_dataset: Any, structured_dataset_type: StructuredDatasetType
    ) -> DatasetLiteral:
        local = Path(ctx.file_access.get_random_local_directory()) / "part-0.jsonl"
        local.write_text("".join(json.dumps(r) + "\n" for r in structured_dataset.dataframe.rows))
        remote = ctx.file_access.get_random_remote_directory()
        ctx.file_access.upload_directory(str(local.parent), remote)
        meta = StructuredDatasetMetadata(StructuredDatasetType(format=JSONL))
        return DatasetLiteral(uri=remote, metadata=meta)


class RowsDecoder(StructuredDatasetDecoder[Rows]):
    def __init__(self) -> None:
        super().__init__(Rows, None, JSONL)

    def decode(
        self,
        ctx: Any,
        flyte_value: DatasetLiteral,
        current_task_metadata: StructuredDatasetMetadata,
    ) -> Rows:
        local = ctx.file_access.get_random_local_directory()
        ctx.file_access.get_data(flyte_value.uri, local, is_multipart=True)
        sdt = current_task_metadata.structured_dataset_type
        keep = sdt.column_names if sdt is not None else []
        lines = [ln for p in sorted(Path(local).iterdir()) for ln in p.read_text().splitlines()]
        rows = [json.loads(line) for line in lines]
        return Rows([{k: r[k] for k in keep} if keep else r for r in rows])


class Chunk:
    """Some rows of a table as a numpy array."""

    def __init__(self, values: np.ndarray) -> None:
        self.values = values


class ChunkDecoder(StructuredDatasetDecoder[Chunk]):
    """Reads any Parquet dataset as chunks of two rows (an iterator)."""

    def __init__(self) -> None:
        super().__init__(Chunk, None, PARQUET)

    def decode(
        self,
        ctx: Any,
        flyte_value: DatasetLiteral,
        current_task_metadata: StructuredDatasetMetadata,
    ) -> Iterator[Chunk]:
        import pyarrow.parquet as pq

        local = ctx.file_access.get_random_local_directory()
        ctx.file_access.get_data(flyte_value.uri, local, is_multipart=True)
        table = pq.read_table(local)
        for batch in table.to_batches(max_chunksize=2):
            yield Chunk(batch.to_pandas().to_numpy())


StructuredDatasetTransformerEngine.register(RowsEncoder())
StructuredDatasetTransformerEngine.register(RowsDecoder(), default_for_type=True)
StructuredDatasetTransformerEngine.register(ChunkDecoder())


@task
def make_rows(n: int) -> Rows:
    return Rows([{"i": i, "sq": i * i} for i in range(n)])


@task
def total(rows: Annotated[Rows, kwtypes(sq=int)]) -> int:
    assert all(list(r) == ["sq"] for r in rows.rows)
    return sum(r["sq"] for r in rows.rows)


@task
def to_frame(sd: StructuredDataset) -> Annotated[StructuredDataset, CSV]:
    rows = sd.open(Rows).all().rows
    return StructuredDataset(dataframe=pd.DataFrame(rows))


@task
def ages(sd: Annotated[StructuredDataset, kwtypes(i=int)]) -> list[int]:
    return [int(x) for x in sd.open(pd.DataFrame).all()["i"]]


@workflow
def rows_wf(n: int) -> tuple[int, list[int]]:
    rows = make_rows(n=n)
    return total(rows=rows), ages(sd=to_frame(sd=rows))


@pytest.mark.timeout(120)
@pytest.mark.parametrize("runner", ["inline", "local"])
def test_a_custom_table_type_crosses_task_boundaries(runner: str) -> None:
    run = execute_local(rows_wf, {"n": 4}, runner=runner, workers=1)
    assert run.python_outputs() == (0 + 1 + 4 + 9, [0, 1, 2, 3])


def test_a_registered_type_becomes_a_dataset_type(engine: TypeEngine, ctx: TypeContext) -> None:
    lt = engine.literal_type(Rows)
    assert lt.kind is Kind.DATASET and lt.format == JSONL
    lit = engine.to_literal(Rows([{"a": 1, "b": 2}]), Annotated[Rows, kwtypes(a=int)], ctx)
    assert lit["format"] == JSONL
    back = engine.to_python(lit, Annotated[Rows, kwtypes(a=int)], ctx)
    assert back.rows == [{"a": 1}]
    sd = engine.to_python(lit, StructuredDataset, ctx)
    assert sd.file_format == JSONL and sd.open(Rows).all().rows == [{"a": 1, "b": 2}]
    with pytest.raises(LiteralTypeError, match="StructuredDatasetDecoder"):
        sd.open(pd.DataFrame).all()  # no native reader for jsonl


def test_numpy_stays_its_own_type_and_a_decoder_may_return_chunks(
    engine: TypeEngine, ctx: TypeContext
) -> None:
    assert engine.literal_type(np.ndarray).kind is Kind.NDARRAY
    df = pd.DataFrame({"a": [1, 2, 3], "b": [4, 5, 6]})
    sd = engine.to_python(engine.to_literal(df, pd.DataFrame, ctx), StructuredDataset, ctx)
    chunks = list(sd.open(Chunk).iter())
    assert [c.values.tolist() for c in chunks] == [[[1, 4], [2, 5]], [[3, 6]]]
    with pytest.raises(ValueError, match="iter"):
        sd.open(Chunk).all()


def test_duplicate_handlers_need_override() -> None:
    handlers = DatasetHandlers()
    handlers.register(RowsEncoder())
    with pytest.raises(ConflictError, match="override=True"):
        handlers.register(RowsEncoder())
    newer = RowsEncoder()
    handlers.register(newer, override=True)
    assert handlers.encoder(Rows, "s3", "") is newer
    assert handlers.encoder(Rows, "file", CSV) is None
    assert handlers.decoder(Rows, "file", JSONL) is None


@pytest.mark.parametrize("tp", [pd.DataFrame, pl.DataFrame, pa.Table])
def test_csv_format_annotation(engine: TypeEngine, ctx: TypeContext, tp: Any) -> None:
    df = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    lit = engine.to_literal(StructuredDataset(dataframe=df), Annotated[StructuredDataset, CSV], ctx)
    assert lit["format"] == CSV and lit["uri"].endswith(".csv")
    assert engine.literal_type(Annotated[StructuredDataset, CSV]).format == CSV
    back = engine.to_python(lit, Annotated[tp, kwtypes(b=str)], ctx)
    assert isinstance(back, tp)
    names = back.column_names if tp is pa.Table else list(back.columns)
    assert names == ["b"]
    sd = engine.to_python(lit, StructuredDataset, ctx)
    pd.testing.assert_frame_equal(sd.open(pd.DataFrame).all(), df)


def test_file_format_and_uri_on_the_value(engine: TypeEngine, local_ctx: TypeContext) -> None:
    df = pd.DataFrame({"a": [1, 2]})
    lit = engine.to_literal(
        StructuredDataset(dataframe=df, file_format=CSV), StructuredDataset, local_ctx
    )
    assert lit["format"] == CSV
    target = local_ctx.store.join("chosen/table.parquet")
    lit = engine.to_literal(
        StructuredDataset(dataframe=df, uri=target), StructuredDataset, local_ctx
    )
    assert lit == {"uri": target, "format": PARQUET}
    with pytest.raises(LiteralTypeError, match="feather"):
        engine.to_literal(df, Annotated[StructuredDataset, "feather"], local_ctx)


@dataclasses.dataclass
class Contact:
    tel: str


@dataclasses.dataclass
class Person:
    name: str
    contact: Contact


def test_column_subsets_flat_nested_and_by_dataclass(engine: TypeEngine, ctx: TypeContext) -> None:
    df = pd.DataFrame(
        {
            "name": ["a", "b"],
            "contact": [{"tel": "1", "mail": "m1"}, {"tel": "2", "mail": "m2"}],
            "extra": [0.1, 0.2],
        }
    )
    lit = engine.to_literal(df, pd.DataFrame, ctx)
    flat = engine.to_python(lit, Annotated[StructuredDataset, kwtypes(name=str)], ctx)
    assert flat.columns == ("name",)
    assert list(flat.open(pd.DataFrame).all().columns) == ["name"]
    nested = engine.to_python(lit, Annotated[pd.DataFrame, {"contact": {"tel": str}}], ctx)
    assert nested["contact"].tolist() == [{"tel": "1"}, {"tel": "2"}]
    by_class = engine.to_python(lit, Annotated[pl.DataFrame, Person], ctx)
    assert by_class.columns == ["name", "contact"]
    assert by_class["contact"].to_list() == [{"tel": "1"}, {"tel": "2"}]
    plain = Annotated[StructuredDataset, {"name": str}]
    assert engine.codec(plain) is engine.codec(plain)  # a plain-dict schema is cached too
    with pytest.raises(LiteralTypeError, match="no field 'fax'"):
        engine.to_python(lit, Annotated[pd.DataFrame, {"contact": {"fax": str}}], ctx)


def test_flytekit_names_resolve() -> None:
    import slipstream
    from slipstream.models.literals import StructuredDataset as LiteralSD
    from slipstream.models.literals import StructuredDatasetMetadata as Meta
    from slipstream.models.types import StructuredDatasetType as SDT
    from slipstream.types.structured import StructuredDatasetEncoder as Enc
    from slipstream.types.structured import register_csv_handlers
    from slipstream.types.structured.structured_dataset import (
        DuplicateHandlerError,
    )
    from slipstream.types.structured.structured_dataset import (
        StructuredDatasetTransformerEngine as Engine,
    )

    register_csv_handlers()
    assert LiteralSD is DatasetLiteral and Meta is StructuredDatasetMetadata
    assert SDT is slipstream.StructuredDatasetType is StructuredDatasetType
    assert (
        Engine is slipstream.StructuredDatasetTransformerEngine and Enc is StructuredDatasetEncoder
    )
    assert DuplicateHandlerError is ConflictError
