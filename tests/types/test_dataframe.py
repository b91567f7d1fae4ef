from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from slipstream.errors import LiteralTypeError
from slipstream.model import Field, Kind, LiteralType
from slipstream.types import StructuredDataset, TypeContext, TypeEngine, kwtypes

RoundTrip = Callable[..., tuple[Any, Any]]

Cols = kwtypes(a=int, b=str)


@pytest.fixture
def df() -> pd.DataFrame:
    return pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"], "c": [0.5, 1.5, 2.5]})


def test_literal_types(engine: TypeEngine) -> None:
    assert engine.literal_type(pd.DataFrame) == LiteralType(Kind.DATASET, format="parquet")
    lt = engine.literal_type(Annotated[pd.DataFrame, Cols])
    assert lt.fields == (Field("a", LiteralType(Kind.INT)), Field("b", LiteralType(Kind.STR)))
    assert engine.literal_type(Annotated[StructuredDataset, Cols]) == lt
    assert engine.literal_type(pl.DataFrame) == engine.literal_type(pa.Table)
    assert engine.codec(Annotated[pd.DataFrame, kwtypes(a=int, b=str)]) is engine.codec(
        Annotated[pd.DataFrame, Cols]
    )  # schemas are hashable: the codec is cached


def test_pandas_round_trip(roundtrip: RoundTrip, ctx: TypeContext, df: pd.DataFrame) -> None:
    lit, back = roundtrip(df, pd.DataFrame, ctx)
    assert lit["format"] == "parquet" and lit["uri"].endswith(".parquet")
    pd.testing.assert_frame_equal(back, df)


def test_range_index_is_not_a_column(roundtrip: RoundTrip, local_ctx: TypeContext) -> None:
    import pyarrow.parquet as pq

    frame = pd.DataFrame({"x": np.arange(5.0)})
    lit, _ = roundtrip(frame, pd.DataFrame, local_ctx)
    path = local_ctx.store.local_path(lit["uri"])
    assert pq.read_schema(path).names == ["x"]


def test_column_subsetting(roundtrip: RoundTrip, ctx: TypeContext, df: pd.DataFrame) -> None:
    _, back = roundtrip(df, Annotated[pd.DataFrame, Cols], ctx)
    assert list(back.columns) == ["a", "b"]
    lit = roundtrip(df, pd.DataFrame, ctx)[0]
    sub = StructuredDataset  # read a full table with a narrower declared schema
    from slipstream.types import default_engine

    sd = default_engine().to_python(lit, Annotated[sub, kwtypes(c=float)], ctx)
    assert list(sd.open(pd.DataFrame).all().columns) == ["c"]


def test_missing_declared_column(engine: TypeEngine, ctx: TypeContext, df: pd.DataFrame) -> None:
    with pytest.raises(LiteralTypeError, match=r"missing the declared column.*'d'"):
        engine.to_literal(df, Annotated[pd.DataFrame, kwtypes(a=int, d=float)], ctx)
    lit = engine.to_literal(df, pd.DataFrame, ctx)
    with pytest.raises(LiteralTypeError, match="declared column"):
        engine.to_python(lit, Annotated[pd.DataFrame, kwtypes(zz=int)], ctx)


def test_polars_and_arrow(roundtrip: RoundTrip, ctx: TypeContext, df: pd.DataFrame) -> None:
    pdf = pl.from_pandas(df)
    lit, back = roundtrip(pdf, pl.DataFrame, ctx)
    assert back.equals(pdf)
    table = pa.Table.from_pandas(df)
    _, tback = roundtrip(table, pa.Table, ctx)
    assert tback.equals(table)
    # one literal, any reader
    from slipstream.types import default_engine

    as_pandas = default_engine().to_python(lit, pd.DataFrame, ctx)
    pd.testing.assert_frame_equal(as_pandas, df)
    _, sub = roundtrip(pdf, Annotated[pl.DataFrame, kwtypes(c=float)], ctx)
    assert sub.columns == ["c"]


def test_structured_dataset(roundtrip: RoundTrip, ctx: TypeContext, df: pd.DataFrame) -> None:
    lit, sd = roundtrip(StructuredDataset(dataframe=df), StructuredDataset, ctx)
    assert isinstance(sd, StructuredDataset) and sd.uri == lit["uri"] and sd.dataframe is None
    pd.testing.assert_frame_equal(sd.open(pd.DataFrame).all(), df)
    assert sd.open(pl.DataFrame).all().shape == (3, 3)
    assert sd.open(pa.Table).all().num_rows == 3
    # a received dataset goes on by reference; a bare DataFrame fits StructuredDataset too
    assert roundtrip(sd, StructuredDataset, ctx)[0] == lit
    _, sd2 = roundtrip(df, Annotated[StructuredDataset, Cols], ctx)
    assert list(sd2.open(pd.DataFrame).all().columns) == ["a", "b"]
    assert roundtrip(StructuredDataset(dataframe=pl.from_pandas(df)), pd.DataFrame, ctx)[
        1
    ].shape == (3, 3)
    assert StructuredDataset(dataframe=df).open(pl.DataFrame).all().shape == (3, 3)


def test_wrong_values(engine: TypeEngine, ctx: TypeContext, df: pd.DataFrame) -> None:
    with pytest.raises(LiteralTypeError, match=r"expected a pandas.DataFrame, got polars"):
        engine.to_literal(pl.from_pandas(df), pd.DataFrame, ctx)
    with pytest.raises(
        LiteralTypeError, match="expected a StructuredDataset or a DataFrame, got dict"
    ):
        engine.to_literal({"a": [1]}, StructuredDataset, ctx)
