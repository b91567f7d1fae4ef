"""What a run shows (issue 11): the live progress names the running nodes and counts cache hits;
the final table previews DataFrames (shape and first rows) and files (path and size)."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from rich.console import Console

from slipstream import Directory, File
from slipstream.cli._render import Progress, frame_preview, print_outputs
from slipstream.model import CacheStatus, NodePhase, NodeRecord


def test_progress_names_running_nodes_and_counts_cache_hits() -> None:
    console = Console(file=io.StringIO(), force_terminal=True, width=120)
    with Progress(console, 6, enabled=True) as progress:
        listener = progress.listener()
        assert listener is not None
        listener("node", NodeRecord(path="n0", phase=NodePhase.SUCCEEDED, cache=CacheStatus.HIT))
        listener("node", NodeRecord(path="n1", phase=NodePhase.SUCCEEDED, cache=CacheStatus.HIT))
        listener("node", NodeRecord(path="n2", phase=NodePhase.RUNNING, task="wf.mod.train"))
        listener("node", NodeRecord(path="n3", phase=NodePhase.RUNNING, name="evaluate-big"))
        listener("node", NodeRecord(path="n4", phase=NodePhase.RUNNING))
        listener("node", NodeRecord(path="n5", phase=NodePhase.RUNNING))
        assert progress._status() == "2 done (2 cached), 4 running, 0 failed"
        assert progress.running() == "running: train (n2), evaluate-big (n3), n4 +1 more"
        listener("node", NodeRecord(path="n2", phase=NodePhase.SUCCEEDED, task="wf.mod.train"))
        assert "train" not in progress.running()


@pytest.mark.parametrize(
    "make",
    [
        lambda d: pd.DataFrame(d),
        lambda d: pl.DataFrame(d),
        lambda d: pa.table(d),
    ],
    ids=["pandas", "polars", "pyarrow"],
)
def test_frames_are_previewed_with_shape_and_first_rows(make: object) -> None:
    data = {"a": list(range(12)), "name": [f"row-{i}" for i in range(12)]}
    frame = make(data)  # type: ignore[operator]
    text = frame_preview(frame)
    lines = text.splitlines()
    assert lines[0] == "12 rows x 2 columns"
    assert lines[1].split() == ["a", "name"]
    assert lines[2].split() == ["0", "row-0"] and lines[6].split() == ["4", "row-4"]
    assert lines[-1] == "… 7 more rows"


def test_final_table_shows_frames_and_file_sizes(tmp_path: Path) -> None:
    f = tmp_path / "report.txt"
    f.write_bytes(b"x" * 2048)
    d = tmp_path / "dir"
    d.mkdir()
    (d / "one").write_bytes(b"1" * 10)
    (d / "two").write_bytes(b"2" * 20)
    outputs = {
        "frame": pd.DataFrame({"x": [1.5, 2.5], "y": ["p", "q"]}),
        "report": File(str(f)),
        "folder": Directory(str(d)),
        "n": 3,
    }
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=150)
    print_outputs(outputs, {}, {}, as_json=False, console=console)
    shown = buf.getvalue()
    assert "2 rows x 2 columns" in shown and "1.5" in shown and "q" in shown
    assert f"{f} (2.0 KiB)" in shown
    assert f"{d} (2 files, 30 B)" in shown


def test_an_iterator_output_is_shown_as_the_list_it_yields(
    capsys: pytest.CaptureFixture[str],
) -> None:
    console = Console(file=io.StringIO(), force_terminal=False)
    outputs = {"o0": iter(["a", "b"]), "o1": (x * 2 for x in range(3))}
    print_outputs(outputs, {}, {}, as_json=True, console=console)
    assert capsys.readouterr().out == '{"o0": ["a", "b"], "o1": [0, 2, 4]}\n'
