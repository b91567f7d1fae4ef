"""Every example runs both ways: ``python examples/X.py`` and ``slipstream run examples/X.py WF``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SLIPSTREAM = str(Path(sys.executable).with_name("slipstream"))


def _run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SLIPSTREAM_HOME": str(tmp_path / "home")}
    env.pop("SLIPSTREAM_RUNNER", None)
    p = subprocess.run(args, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=110)
    assert p.returncode == 0, f"{args} failed:\n{p.stdout}\n{p.stderr}"
    return p


def test_hello_as_a_script(tmp_path: Path) -> None:
    p = _run([sys.executable, str(EXAMPLES / "hello.py")], tmp_path)
    assert p.stdout == "HELLO SLIPSTREAM!\n"


def test_hello_with_slipstream_run(tmp_path: Path) -> None:
    p = _run([SLIPSTREAM, "run", str(EXAMPLES / "hello.py"), "hello_wf", "--name", "Ada"], tmp_path)
    assert p.stdout == "o0: HELLO ADA!\n"


def test_data_pipeline_as_a_script(tmp_path: Path) -> None:
    p = _run([sys.executable, str(EXAMPLES / "data_pipeline.py")], tmp_path)
    lines = p.stdout.splitlines()
    assert lines[0].split() == ["region", "units", "revenue"]
    assert len(lines) == 6  # header, four regions, the summary
    assert lines[-1].startswith("top region: ")


@pytest.mark.parametrize("runner", ["local", "inline"])
def test_data_pipeline_with_slipstream_run(tmp_path: Path, runner: str) -> None:
    args = [SLIPSTREAM, "run", str(EXAMPLES / "data_pipeline.py"), "sales_report", "--json"]
    args += ["--runner", runner]
    everything = json.loads(_run([*args, "--min-units", "0"], tmp_path).stdout)
    assert everything["by_region"]["rows"] == 4
    assert everything["by_region"]["columns"] == ["region", "units", "revenue"]
    assert everything["by_region"]["uri"].endswith(".parquet")

    csv = EXAMPLES / "data" / "sales.csv"
    one = json.loads(
        _run(
            [*args, "--sales", str(csv), "--min-units", "3", "--product", "gizmo"], tmp_path
        ).stdout
    )
    assert 0 < one["total_revenue"] < everything["total_revenue"]
    assert one["top_region"] in {"north", "south", "east", "west"}


def test_ml_pipeline_as_a_script(tmp_path: Path) -> None:
    p = _run([sys.executable, str(EXAMPLES / "ml_pipeline.py")], tmp_path)
    assert p.stdout.startswith("test R^2: ")
    assert 0.2 < float(p.stdout.split(":")[1]) < 0.8


def test_ml_pipeline_with_slipstream_run(tmp_path: Path) -> None:
    base = [SLIPSTREAM, "run", str(EXAMPLES / "ml_pipeline.py"), "training_pipeline", "--json"]
    r2 = json.loads(_run([*base, "--alpha", "0.5", "--test-size", "0.25"], tmp_path).stdout)["o0"]
    assert 0.2 < r2 < 0.8
    # another run, other hyperparameters, on the same home (load and clean come from the cache)
    again = json.loads(_run([*base, "--alpha", "0.05", "--runner", "inline"], tmp_path).stdout)[
        "o0"
    ]
    assert 0.2 < again < 0.8 and again != r2
