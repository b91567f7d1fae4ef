"""``slipstream run``: typed inputs, help, errors, JSON output, runners, packages.

Most tests call the command in-process through click's ``CliRunner`` with the inline runner (fast);
the ones about exit codes, the warm worker pool and packages run the real ``slipstream`` executable.
Every workflow file gets a unique module name: modules stay imported for the whole test process.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from slipstream.cli import main
from slipstream.cli._docstrings import parse_docstring
from slipstream.cli._inputs import BadValue, parse_duration, parse_value
from slipstream.cli._render import Progress
from slipstream.model import NodePhase, NodeRecord

SLIPSTREAM = str(Path(sys.executable).with_name("slipstream"))

TYPED = '''
import dataclasses
import datetime as dt
import enum
import json
import os
from pathlib import Path
from typing import Annotated, Any, Optional, Union

import pandas as pd
import polars as pl
import pydantic

from slipstream import Directory, File, StructuredDataset, kwtypes, task, workflow


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


@dataclasses.dataclass
class Inner:
    when: dt.datetime
    tags: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Point:
    x: int
    y: float = 0.0
    inner: Optional[Inner] = None


class Config(pydantic.BaseModel):
    lr: float
    layers: list[int] = [8]


def _mark() -> None:
    marker = os.environ.get("MARKER")
    if marker:
        Path(marker).write_text("ran")


def _show(v: Any) -> Any:
    if isinstance(v, (dt.datetime, dt.date)):
        return v.isoformat()
    if isinstance(v, dt.timedelta):
        return v.total_seconds()
    if isinstance(v, enum.Enum):
        return v.value
    if dataclasses.is_dataclass(v):
        return {k: _show(x) for k, x in dataclasses.asdict(v).items()}
    if isinstance(v, pydantic.BaseModel):
        return v.model_dump()
    if isinstance(v, list):
        return [_show(x) for x in v]
    if isinstance(v, dict):
        return {k: _show(x) for k, x in v.items()}
    return v


@task
def echo(value: {tp}) -> str:
    """Echo one value as JSON."""
    _mark()
    return json.dumps(_show(value))


@task
def scalars(
    count: int,
    ratio: float,
    label: str,
    flag: bool,
    when: dt.datetime,
    day: dt.date,
    wait: dt.timedelta,
    color: Color,
    maybe: Optional[int] = None,
    either: Union[int, str] = 0,
    learning_rate: float = 0.01,
) -> str:
    """Echo the scalars.

    Args:
        count: how many things.
        ratio (float): a fraction,
            spanning two lines.
    """
    _mark()
    return json.dumps(_show([count, ratio, label, flag, when, day, wait, color, maybe, either,
                             learning_rate]))


@task
def files(f: File, d: Directory) -> str:
    _mark()
    return json.dumps([Path(f).read_text(), sorted(os.listdir(d))])


@task
def frames(
    df: pd.DataFrame,
    cols: Annotated[pd.DataFrame, kwtypes(a=int)],
    sd: StructuredDataset,
    pf: pl.DataFrame,
) -> str:
    _mark()
    return json.dumps([df.shape[0], list(cols.columns), sd.open(pd.DataFrame).all().shape[0],
                       pf.height])


@task
def make_outputs(n: int) -> tuple[pd.DataFrame, File, dt.date, Point]:
    p = Path("out.txt")
    p.write_text("x" * n)
    return (pd.DataFrame({{"a": list(range(n)), "b": ["x"] * n}}), File(str(p)),
            dt.date(2024, 1, n), Point(x=n))


@task
def boom(x: int) -> int:
    if x > 1:
        raise ValueError(f"x is too big: {{x}}")
    return x


@task
def plus_one(x: int) -> int:
    _mark()
    return x + 1


@workflow
def chain(x: int = 1) -> int:
    """Three tasks in a row.

    :param x: the start value
    """
    return plus_one(x=plus_one(x=plus_one(x=x)))


@workflow
def failing(x: int = 2) -> int:
    return boom(x=plus_one(x=x))
'''


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLIPSTREAM_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)


def write_flow(tmp_path: Path, tp: str = "int", text: str = TYPED) -> Path:
    path = tmp_path / f"flow_{uuid.uuid4().hex[:10]}.py"
    path.write_text(text.replace("{tp}", tp).replace("{{", "{").replace("}}", "}"))
    return path


def cli(*args: Any, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, ["run", *map(str, args)], env=env, catch_exceptions=False)


def run_json(*args: Any, env: dict[str, str] | None = None) -> Any:
    result = cli(*args, "--runner", "inline", "--json", env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def proc(*args: Any, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "SLIPSTREAM_HOME": str(tmp_path / "home"), **env}
    return subprocess.run(
        [SLIPSTREAM, "run", *map(str, args)],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=tmp_path,
        timeout=100,
    )


# -- typed parsing --------------------------------------------------------------------------------

CASES = [
    ("int", "42", 42),
    ("int", "-7", -7),
    ("float", "2.5", 2.5),
    ("float", "3", 3.0),
    ("str", "hello world", "hello world"),
    ("bool", "true", True),
    ("bool", "no", False),
    ("bool", "1", True),
    ("bool", "FALSE", False),
    ("dt.datetime", "2024-05-01T12:30:00", "2024-05-01T12:30:00+00:00"),
    ("dt.datetime", "2024-05-01T12:30:00+02:00", "2024-05-01T12:30:00+02:00"),  # offset kept
    ("dt.date", "2024-05-01", "2024-05-01"),
    ("dt.timedelta", "90", 90.0),
    ("dt.timedelta", "1h30m", 5400.0),
    ("dt.timedelta", "PT2M", 120.0),
    ("dt.timedelta", "250ms", 0.25),
    ("dt.timedelta", "01:00:05", 3605.0),
    ("Color", "green", "green"),
    ("Color", "RED", "red"),
    ("list[int]", "[1, 2, 3]", [1, 2, 3]),
    ("list[dt.date]", '["2024-01-02"]', ["2024-01-02"]),
    ("dict[str, float]", '{"a": 1, "b": 2.5}', {"a": 1.0, "b": 2.5}),
    ("dict[int, list[str]]", '{"1": ["x"]}', {"1": ["x"]}),
    ("Optional[int]", "none", None),
    ("Optional[int]", "5", 5),
    ("Union[int, str]", "5", 5),
    ("Union[int, str]", "five", "five"),
    ("Any", '{"k": [1, 2]}', {"k": [1, 2]}),
    ("Point", '{"x": 1}', {"x": 1, "y": 0.0, "inner": None}),
    (
        "Point",
        '{"x": 1, "y": 2, "inner": {"when": "2024-01-01T00:00:00", "tags": ["a"]}}',
        {"x": 1, "y": 2.0, "inner": {"when": "2024-01-01T00:00:00+00:00", "tags": ["a"]}},
    ),
    ("list[Point]", '[{"x": 3}]', [{"x": 3, "y": 0.0, "inner": None}]),
    ("Config", '{"lr": 0.1}', {"lr": 0.1, "layers": [8]}),
    ("Config", '{"lr": "0.5", "layers": [1, 2]}', {"lr": 0.5, "layers": [1, 2]}),
]


@pytest.mark.parametrize(("tp", "text", "expected"), CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_typed_parsing(tmp_path: Path, tp: str, text: str, expected: Any) -> None:
    flow = write_flow(tmp_path, tp)
    out = run_json(flow, "echo", "--value", text)
    assert json.loads(out["o0"]) == expected


def test_scalars_and_dashed_names(tmp_path: Path) -> None:
    flow = write_flow(tmp_path)
    out = run_json(
        flow, "scalars", "--count", "3", "--ratio", "0.5", "--label", "x", "--flag",
        "--when", "2024-01-01", "--day", "2024-02-03", "--wait", "2s", "--color", "red",
        "--learning-rate", "0.5",
    )  # fmt: skip
    assert json.loads(out["o0"]) == [
        3, 0.5, "x", True, "2024-01-01T00:00:00+00:00", "2024-02-03", 2.0, "red", None, 0, 0.5
    ]  # fmt: skip
    out = run_json(
        flow, "scalars", "--count", "3", "--ratio", "0.5", "--label", "x", "--flag", "no",
        "--when", "2024-01-01", "--day", "2024-02-03", "--wait", "2s", "--color", "red",
        "--learning_rate", "0.25", "--maybe", "4", "--either", "abc",
    )  # fmt: skip
    assert json.loads(out["o0"])[3] is False
    assert json.loads(out["o0"])[8:] == [4, "abc", 0.25]


def test_file_and_directory_inputs(tmp_path: Path) -> None:
    flow = write_flow(tmp_path)
    (tmp_path / "in.txt").write_text("contents")
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "a.txt").write_text("a")
    (tmp_path / "dir" / "b.txt").write_text("b")
    out = run_json(flow, "files", "--f", "in.txt", "--d", tmp_path / "dir")
    assert json.loads(out["o0"]) == ["contents", ["a.txt", "b.txt"]]


def test_dataframe_inputs_from_csv_and_parquet(tmp_path: Path) -> None:
    import pandas as pd

    flow = write_flow(tmp_path)
    pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]}).to_csv(tmp_path / "t.csv", index=False)
    pd.DataFrame({"a": [1, 2], "c": [0.5, 1.5]}).to_parquet(tmp_path / "t.parquet")
    out = run_json(
        flow, "frames", "--df", "t.csv", "--cols", "t.parquet", "--sd", "t.csv", "--pf",
        "t.parquet",
    )  # fmt: skip
    assert json.loads(out["o0"]) == [3, ["a"], 3, 2]


def test_outputs_rendered_as_json(tmp_path: Path) -> None:
    flow = write_flow(tmp_path)
    out = run_json(flow, "make_outputs", "--n", "3")
    assert out["o0"]["rows"] == 3
    assert out["o0"]["columns"] == ["a", "b"]
    assert out["o0"]["uri"].endswith(".parquet")
    assert Path(out["o1"]).read_text() == "xxx"
    assert out["o2"] == "2024-01-03"
    assert out["o3"] == {"x": 3, "y": 0.0, "inner": None}


def test_outputs_rendered_as_lines(tmp_path: Path) -> None:
    flow = write_flow(tmp_path)
    result = cli(flow, "make_outputs", "--n", "2", "--runner", "inline")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("o0: 2 rows x 2 columns (a, b) at file://")
    assert lines[2] == "o2: 2024-01-02"
    assert lines[3] == 'o3: {"x": 2, "y": 0.0, "inner": null}'


# -- help ---------------------------------------------------------------------------------------


def test_help_lists_typed_inputs_defaults_and_docs(tmp_path: Path) -> None:
    flow = write_flow(tmp_path)
    result = cli(flow, "scalars", "--help")
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "Echo the scalars." in text
    assert "--count INTEGER how many things. [type: int] [required]" in text
    assert "a fraction, spanning two lines. [type: float]" in text
    assert "--color [red|green]" in text
    assert "--when DATETIME" in text and "--wait DURATION" in text
    assert "[type: int | None; default: None]" in text
    assert "--learning_rate, --learning-rate FLOAT [type: float; default: 0.01]" in text
    assert "Args:" not in text
    result = cli(flow, "chain", "--help")
    assert "--x INTEGER the start value [type: int; default: 1]" in " ".join(result.stdout.split())


def test_file_help_lists_entities(tmp_path: Path) -> None:
    flow = write_flow(tmp_path)
    result = cli(flow, "--help")
    assert result.exit_code == 0
    assert "echo" in result.stdout and "Three tasks in a row." in result.stdout


def test_unknown_entity_lists_the_available_ones(tmp_path: Path) -> None:
    flow = write_flow(tmp_path)
    result = cli(flow, "nope")
    assert result.exit_code == 2
    assert "no task or workflow named 'nope'" in result.stderr
    assert "echo, scalars, files" in result.stderr


def test_missing_file_and_broken_file(tmp_path: Path) -> None:
    result = cli(tmp_path / "missing.py", "wf")
    assert result.exit_code == 2
    assert "no such file" in result.stderr
    broken = tmp_path / f"broken_{uuid.uuid4().hex[:8]}.py"
    broken.write_text("import json\n\ndef f():\n    raise RuntimeError('at import')\n\nf()\n")
    result = cli(broken, "wf")
    assert result.exit_code == 1
    assert "RuntimeError: at import" in result.stderr
    assert f'File "{broken}", line 6' in result.stderr


def test_compile_error_in_file(tmp_path: Path) -> None:
    bad = tmp_path / f"bad_{uuid.uuid4().hex[:8]}.py"
    bad.write_text(
        textwrap.dedent(
            """
            from slipstream import task, workflow

            @task
            def t(x: int) -> int:
                return x

            @workflow
            def wf(s: str) -> int:
                return t(x=s)
            """
        )
    )
    result = cli(bad, "wf")
    assert result.exit_code == 1
    assert "compile_error" in result.stderr and "str" in result.stderr


# -- bad values: exit 2, a message naming the input and type, and nothing runs ------------------

BAD = [
    ("int", "abc", "expected int"),
    ("int", "2.5", "expected int"),
    ("float", "x1", "expected float"),
    ("bool", "maybe", "expected bool"),
    ("dt.datetime", "yesterday", "ISO-8601 datetime"),
    ("dt.date", "2024-13-01", "ISO-8601 date"),
    ("dt.timedelta", "3 parsecs", "duration"),
    ("Color", "blue", "one of red, green"),
    ("list[int]", "[1, 'a']", "JSON"),
    ("list[int]", '[1, "a"]', "item 1: expected int"),
    ("dict[str, int]", "[1]", "JSON object"),
    ("Point", '{"x": "a"}', "field 'x': expected int"),
    ("Point", '{"z": 1}', "unknown ['z']"),
    ("Point", "{}", "missing 1 required positional argument"),
    ("Config", '{"lr": "fast"}', "lr:"),
    ("File", "no_such_file.txt", "no such file"),
    ("Directory", "no_such_dir", "no such directory"),
    ("pd.DataFrame", "no_such.csv", "no such file"),
]


@pytest.mark.parametrize(("tp", "text", "message"), BAD, ids=[f"{b[0]}:{b[1]}" for b in BAD])
def test_bad_value_exits_2_and_nothing_runs(
    tmp_path: Path, tp: str, text: str, message: str
) -> None:
    flow = write_flow(tmp_path, tp)
    marker = tmp_path / "marker"
    result = cli(flow, "echo", "--value", text, "--runner", "inline", env={"MARKER": str(marker)})
    assert result.exit_code == 2, result.output
    assert "Invalid value for '--value'" in result.stderr
    assert message in result.stderr
    assert not marker.exists()
    # the control: a good value does run the task and writes the marker
    ok = cli(flow, "echo", "--help")
    assert ok.exit_code == 0


def test_marker_proves_that_a_good_run_runs(tmp_path: Path) -> None:
    flow = write_flow(tmp_path, "int")
    marker = tmp_path / "marker"
    result = cli(flow, "echo", "--value", "1", "--runner", "inline", env={"MARKER": str(marker)})
    assert result.exit_code == 0
    assert marker.read_text() == "ran"


def test_bad_value_in_a_subprocess_names_input_and_type(tmp_path: Path) -> None:
    flow = write_flow(tmp_path)
    marker = tmp_path / "marker"
    p = proc(flow, "chain", "--x", "one", tmp_path=tmp_path, MARKER=str(marker))
    assert p.returncode == 2
    assert "Invalid value for '--x': expected int, got 'one'" in p.stderr
    assert p.stdout == ""
    assert not marker.exists()


def test_missing_required_input(tmp_path: Path) -> None:
    flow = write_flow(tmp_path)
    result = cli(flow, "echo", "--runner", "inline")
    assert result.exit_code == 2
    assert "Missing option '--value'" in result.stderr


# -- failures -----------------------------------------------------------------------------------


def test_failure_exits_1_with_the_classified_error(tmp_path: Path) -> None:
    flow = write_flow(tmp_path)
    result = cli(flow, "failing", "--runner", "inline")
    assert result.exit_code == 1
    err = result.stderr
    assert "[user_error, USER] in node n1" in err
    assert f"({flow.stem}.boom)" in err
    assert "ValueError: x is too big: 3" in err
    assert "Traceback" in err and f'File "{flow}"' in err
    assert result.stdout == ""


def test_failure_as_json(tmp_path: Path) -> None:
    flow = write_flow(tmp_path)
    result = cli(flow, "failing", "--x", "5", "--runner", "inline", "--json")
    assert result.exit_code == 1
    err = json.loads(result.stdout)["error"]
    assert err["code"] == "user_error"
    assert err["kind"] == "USER"
    assert err["node"] == "n1"
    assert err["type"] == "ValueError"
    assert err["message"] == "x is too big: 6"
    assert "raise ValueError" in err["traceback"]
    assert err["execution"].startswith("local/development/")


def test_failure_with_the_local_runner(tmp_path: Path) -> None:
    flow = write_flow(tmp_path)
    p = proc(flow, "failing", "--json", "--workers", "1", tmp_path=tmp_path)
    assert p.returncode == 1, p.stderr
    err = json.loads(p.stdout)["error"]
    assert (err["code"], err["kind"], err["node"]) == ("user_error", "USER", "n1")
    assert "x is too big: 3" in err["message"]
    assert "raise ValueError" in err["traceback"]


# -- runners, options, caching ------------------------------------------------------------------


@pytest.mark.parametrize("runner", ["local", "inline"])
def test_runners_in_a_subprocess(tmp_path: Path, runner: str) -> None:
    flow = write_flow(tmp_path)
    p = proc(flow, "chain", "--x", "5", "--runner", runner, "--workers", "2", tmp_path=tmp_path)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "o0: 8\n"


def test_local_runner_is_the_default(tmp_path: Path) -> None:
    flow = write_flow(tmp_path)
    marker = tmp_path / "marker"
    p = proc("--json", flow, "chain", tmp_path=tmp_path, MARKER=str(marker))
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == {"o0": 4}
    assert marker.exists()


def test_run_options_before_the_file(tmp_path: Path) -> None:
    flow = write_flow(tmp_path)
    result = cli("--runner", "inline", "--json", flow, "chain", "--x", "2")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"o0": 5}


def test_no_cache(tmp_path: Path) -> None:
    flow = tmp_path / f"cached_{uuid.uuid4().hex[:8]}.py"
    flow.write_text(
        textwrap.dedent(
            """
            import os
            from slipstream import task, workflow

            @task(cache=True)
            def count(x: int) -> int:
                with open(os.environ["COUNTER"], "a") as f:
                    f.write("+")
                return x * 2

            @workflow
            def wf(x: int = 1) -> int:
                return count(x=x)
            """
        )
    )
    counter = tmp_path / "counter"
    env = {"COUNTER": str(counter)}
    assert run_json(flow, "wf", env=env) == {"o0": 2}
    assert run_json(flow, "wf", env=env) == {"o0": 2}
    assert counter.read_text() == "+"
    assert run_json(flow, "wf", "--no-cache", env=env) == {"o0": 2}
    assert counter.read_text() == "++"


def test_input_named_like_a_run_option(tmp_path: Path) -> None:
    flow = tmp_path / f"clash_{uuid.uuid4().hex[:8]}.py"
    flow.write_text(
        textwrap.dedent(
            """
            from slipstream import task

            @task
            def t(workers: int) -> int:
                return workers + 1
            """
        )
    )
    result = cli("--runner", "inline", "--json", flow, "t", "--workers", "4")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"o0": 5}


# -- packages and relative imports --------------------------------------------------------------


def _package(tmp_path: Path) -> Path:
    pkg = tmp_path / "proj" / f"pkg_{uuid.uuid4().hex[:8]}"
    (pkg / "flows").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "helpers.py").write_text("def double(x: int) -> int:\n    return 2 * x\n")
    (pkg / "flows" / "__init__.py").write_text("")
    (pkg / "flows" / "main.py").write_text(
        textwrap.dedent(
            """
            from slipstream import task, workflow

            from ..helpers import double
            from .steps import add


            @task
            def twice(x: int) -> int:
                return double(x)


            @workflow
            def wf(x: int = 1) -> int:
                return add(a=twice(x=x), b=x)
            """
        )
    )
    (pkg / "flows" / "steps.py").write_text(
        "from slipstream import task\n\n\n@task\ndef add(a: int, b: int) -> int:\n    return a + b\n"
    )
    return pkg / "flows" / "main.py"


@pytest.mark.parametrize("runner", ["local", "inline"])
def test_relative_imports_inside_a_package(tmp_path: Path, runner: str) -> None:
    main_py = _package(tmp_path)
    p = proc(main_py, "wf", "--x", "3", "--runner", runner, "--json", tmp_path=tmp_path)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == {"o0": 9}


def test_relative_imports_in_process(tmp_path: Path) -> None:
    main_py = _package(tmp_path)
    assert run_json(main_py, "wf", "--x", "4") == {"o0": 12}


# -- helpers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("0", 0),
        ("1.5", 1.5),
        ("-5s", -5),
        ("2d", 172800),
        ("1w", 604800),
        ("1h 30m 15s", 5415),
        ("500ms", 0.5),
        ("P1DT2H", 93600),
        ("pt45s", 45),
        ("10:30", 630),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == dt.timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "h", "1x", "1h junk", "P1M", "1:2:3:4"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_parse_value_rejects_bool_for_int_in_json() -> None:
    with pytest.raises(BadValue, match="expected int"):
        parse_value("[true]", list[int])


def test_docstring_styles() -> None:
    google = parse_docstring(
        "Summary line.\n\nMore text.\n\nArgs:\n    a (int): first\n        continued\n"
        "    b: second\n\nReturns:\n    something\n"
    )
    assert google.summary == "Summary line.\n\nMore text."
    assert google.params == {"a": "first continued", "b": "second"}
    sphinx = parse_docstring("Do it.\n\n:param a: first\n:param int b: second\n:returns: x\n")
    assert sphinx.summary == "Do it."
    assert sphinx.params == {"a": "first", "b": "second"}
    numpy = parse_docstring(
        "Do it.\n\nParameters\n----------\na : int\n    first\nb : str\n    second\n\n"
        "Returns\n-------\nint\n"
    )
    assert numpy.summary == "Do it."
    assert numpy.params == {"a": "first", "b": "second"}
    assert parse_docstring(None).summary == ""


def test_progress_counts_nodes() -> None:
    from rich.console import Console

    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=100)
    with Progress(console, 3, enabled=True) as progress:
        listener = progress.listener()
        assert listener is not None
        listener("node", NodeRecord(path="n0", phase=NodePhase.RUNNING))
        listener("node", NodeRecord(path="n0", phase=NodePhase.SUCCEEDED))
        listener("node", NodeRecord(path="n1", phase=NodePhase.RUNNING))
        listener("node", NodeRecord(path="n2", phase=NodePhase.FAILED))
        listener("execution", None)
        assert progress._status() == "1 done, 1 running, 1 failed"
    assert Progress(console, 3, enabled=False).listener() is None
