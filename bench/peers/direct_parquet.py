"""Baseline for the `dataframe` workload without any orchestrator.

Builds the same DataFrame as the peers' first task (N rows x 4 float64 columns,
numpy random), writes it to a Parquet file with pyarrow, reads it back into
pandas and counts the rows: the minimum work a framework that hands a
DataFrame between tasks through Parquet has to do.

Run with any python that has pandas + pyarrow:
    python direct_parquet.py [dataframe] [--n N]
Prints one JSON line on stdout with the same shape as the *_work.py scripts.
"""

from __future__ import annotations

import os
import sys

import _common as C

PEER = "direct-pyarrow"
if len(sys.argv) < 2 or sys.argv[1].startswith("-"):
    sys.argv.insert(1, "dataframe")
args = C.setup(PEER)

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402


def main() -> None:
    if args.workload != "dataframe":
        C.emit_skip(PEER, args, "direct baseline only implements the dataframe workload")
        return
    n = args.n
    path = os.path.join(args.home, "df.parquet")
    with C.Timer() as t:
        with C.Timer() as tb:
            rng = np.random.default_rng(0)
            df = pd.DataFrame(rng.random((n, 4)), columns=["a", "b", "c", "d"])
        with C.Timer() as tw:
            pq.write_table(pa.Table.from_pandas(df), path)
        del df
        with C.Timer() as tr:
            back = pq.read_table(path).to_pandas()
        rows = len(back)
    assert rows == n, rows
    C.emit(
        PEER,
        args,
        t.s,
        version=pa.__version__,
        pandas=pd.__version__,
        build_s=round(tb.s, 4),
        write_s=round(tw.s, 4),
        read_s=round(tr.s, 4),
        parquet_mib=round(os.path.getsize(path) / 2**20, 1),
        impl="numpy random -> pd.DataFrame -> pq.write_table -> pq.read_table().to_pandas() -> len",
    )
    os.remove(path)


if __name__ == "__main__":
    main()
