"""Passing a 5,000,000 x 4 float64 pandas DataFrame through the type engine vs plain pyarrow.

Run: ``.venv/bin/python bench/dataframe_codec.py [rows]``. Prints the best of three runs of (a)
``pa.Table.from_pandas`` + ``pq.write_table`` + ``pq.read_table().to_pandas()`` on a local file and
(b) the engine's ``to_literal`` then ``to_python`` through a local blob store, and their ratio.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from slipstream.model import decode, encode
from slipstream.storage import open_store
from slipstream.types import TypeContext, default_engine


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 5_000_000
    rng = np.random.default_rng(0)
    df = pd.DataFrame({c: rng.random(rows) for c in "abcd"})
    engine = default_engine()
    codec = engine.codec(pd.DataFrame)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        store = open_store(str(root / "store"))

        def direct(i: int) -> pd.DataFrame:
            path = root / f"direct-{i}.parquet"
            pq.write_table(pa.Table.from_pandas(df), path)
            return pq.read_table(path).to_pandas()

        def through_engine(i: int) -> pd.DataFrame:
            ctx = TypeContext(store, store.join(f"run/{i}/outputs"), root / "scratch")
            literal = decode(encode(codec.to_literal(df, ctx)), Any)
            return codec.to_python(literal, ctx)  # type: ignore[no-any-return]

        best = {}
        for name, fn in (("pyarrow direct", direct), ("type engine", through_engine)):
            times = []
            for i in range(3):
                t0 = time.perf_counter()
                out = fn(i)
                times.append(time.perf_counter() - t0)
                assert out.shape == df.shape
            best[name] = min(times)
            print(
                f"{name:15s} best {best[name] * 1000:8.1f} ms  runs {[round(t, 3) for t in times]}"
            )
        print(f"ratio engine/direct: {best['type engine'] / best['pyarrow direct']:.2f}")


if __name__ == "__main__":
    main()
