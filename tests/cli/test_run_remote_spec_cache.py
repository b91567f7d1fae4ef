"""``run --remote`` of unchanged code does not import the user's file: ENTITY's command comes from
the specs remembered when the file was registered (typed inputs parsed from the literal types),
and the file is imported again once it changed. Each command runs in its own process, as a user
runs it, against a real server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from live_server import LiveServer, child_env, cli_command, live, unique

from slipstream.remote import Remote

FLOWS = """
import os
from dataclasses import dataclass

from slipstream import LaunchPlan, task, workflow

if os.environ.get("MARKER"):  # the CLI's imports; the server's workers import it too
    with open(os.environ["MARKER"], "a") as f:
        f.write("imported\\n")


@dataclass
class Point:
    x: int
    y: float = 0.5


@task
def show(n: int, ratio: float, p: Point, label: str | None) -> str:
    return f"{PREFIX} {type(n).__name__}:{n} {type(ratio).__name__}:{ratio} {p!r} {label!r}"


@workflow
def flow(n: int, p: Point, ratio: float = 0.5, label: str | None = None) -> str:
    \"\"\"Show the inputs as the task sees them.

    Args:
        n: how many.
    \"\"\"
    return show(n=n, ratio=ratio, p=p, label=label)


fixed = LaunchPlan.get_or_create(
    flow, name="fixed_flow", default_inputs={"ratio": 2.0}, fixed_inputs={"label": "lp"}
)

PREFIX = "{prefix}"
"""


@pytest.fixture(scope="module")
def server() -> LiveServer:
    return live("sqlite")


class Cli:
    """``slipstream ARGS...`` in a child process against the server, in a project of its own."""

    def __init__(self, server: LiveServer, home: Path, marker: Path) -> None:
        self.project = unique("rs")
        self.env = child_env(home)
        self.env.update(
            SLIPSTREAM_ENDPOINT=server.url,
            SLIPSTREAM_TOKEN=server.token,
            SLIPSTREAM_PROJECT=self.project,
            MARKER=str(marker),
        )
        with Remote(server.url, self.project, "development", token=server.token) as remote:
            remote.create_project(self.project)

    def __call__(self, *args: str, code: int = 0) -> tuple[str, str]:
        """Its stdout and stderr, once it exited with ``code``."""
        done = subprocess.run(
            cli_command(*args), env=self.env, capture_output=True, text=True, timeout=90
        )
        assert done.returncode == code, done.stdout + done.stderr
        return done.stdout, done.stderr


@pytest.fixture
def run(server: LiveServer, tmp_path: Path, slipstream_home: Path) -> Cli:
    return Cli(server, slipstream_home, tmp_path / "imports.txt")


def _flows(tmp_path: Path, prefix: str) -> Path:
    package = tmp_path / f"pkg_{unique('rs').replace('-', '_')}"
    package.mkdir(exist_ok=True)
    (package / "__init__.py").write_text("")
    flows = package / "flows.py"
    flows.write_text(FLOWS.replace("{prefix}", prefix))
    return flows


def _imports(tmp_path: Path) -> int:
    marker = tmp_path / "imports.txt"
    return marker.read_text().count("imported") if marker.exists() else 0


@pytest.mark.timeout(300)
def test_unchanged_code_runs_remotely_without_importing_it(run: Cli, tmp_path: Path) -> None:
    flows = str(_flows(tmp_path, "v1"))
    point = '{"x": 4}'
    out, _ = run("run", "--remote", "--wait", "--json", flows, "flow", "--n", "3", "--p", point)
    assert json.loads(out) == {"o0": "v1 int:3 float:0.5 Point(x=4, y=0.5) None"}
    first = _imports(tmp_path)
    assert first >= 1

    # unchanged: remembered specs, --remote after ENTITY, typed inputs from the literal types
    args = ["--n", "5", "--ratio", "2", "--p", '{"x": 2, "y": 1.5}', "--label", "hi"]
    out, _ = run("run", flows, "flow", "--remote", "--wait", "--json", *args)
    assert json.loads(out) == {"o0": "v1 int:5 float:2.0 Point(x=2, y=1.5) 'hi'"}
    out, _ = run("run", "--remote", "--wait", "--json", flows, "fixed", "--n", "1", "--p", point)
    assert json.loads(out) == {"o0": "v1 int:1 float:2.0 Point(x=4, y=0.5) 'lp'"}
    out, _ = run("run", "--remote", flows, "flow", "--n", "1", "--p", point)
    assert out.startswith(f"{run.project}/development/")
    help_text, _ = run("run", "--remote", flows, "flow", "--help")
    assert "how many.  [type: int]" in help_text and "[type: float; default: 0.5]" in help_text
    assert "[type: Point]" in help_text and "Show the inputs as the task sees them." in help_text
    _, err = run("run", "--remote", flows, "flow", "--n", "five", "--p", point, code=2)
    assert "'--n': expected int, got 'five'" in err
    _, err = run("run", "--remote", flows, "flow", "--n", "1", "--p", '{"z": 1}', code=2)
    assert "'--p'" in err and "'z'" in err and "x, y" in err
    assert _imports(tmp_path) == first  # none of these imported the file

    # `--remote` only as an input's value: a local run, which imports the file
    out, _ = run("run", "--runner", "inline", "--json", flows, "flow", "--n", "2", "--p", point,
                 "--label", "--remote")  # fmt: skip
    assert json.loads(out) == {"o0": "v1 int:2 float:0.5 Point(x=4, y=0.5) '--remote'"}
    assert _imports(tmp_path) == first + 1

    # the code changed: imported again, and the new code runs
    Path(flows).write_text(FLOWS.replace("{prefix}", "v2"))
    out, _ = run("run", "--remote", "--wait", "--json", flows, "flow", "--n", "3", "--p", point)
    assert json.loads(out) == {"o0": "v2 int:3 float:0.5 Point(x=4, y=0.5) None"}
    again = _imports(tmp_path)
    assert again > first + 1
    out, _ = run("run", "--remote", "--wait", "--json", flows, "flow", "--n", "4", "--p", point)
    assert json.loads(out) == {"o0": "v2 int:4 float:0.5 Point(x=4, y=0.5) None"}
    assert _imports(tmp_path) == again
