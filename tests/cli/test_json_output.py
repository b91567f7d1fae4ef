"""``--json`` on every command, errors included (issue 11): one JSON object on stdout, the same
exit status as without it; one spelling of each kind (``launch-plans``) with aliases; commands
that need an extra say which in one line."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "remote"))

from live_server import LiveServer, child_env, live, unique
from projects import write_project

from slipstream.cli import main
from slipstream.cli._main import _COMMANDS


@pytest.fixture(scope="module")
def server() -> LiveServer:
    return live("sqlite")


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def one_json(result: Result) -> dict[str, object]:
    obj = json.loads(result.stdout)  # fails on anything but exactly one JSON document
    assert isinstance(obj, dict)
    return obj


def _leaves(cmd: click.Command, path: str) -> list[tuple[str, click.Command]]:
    if isinstance(cmd, click.Group) and cmd.name != "run":
        return [(f"{path} {n}", c) for n, sub in cmd.commands.items() for c in [sub]] + [
            leaf for n, sub in cmd.commands.items() for leaf in _leaves(sub, f"{path} {n}")
        ]
    return [(path, cmd)]


def test_every_command_accepts_json() -> None:
    ctx = click.Context(main)
    assert any("--json" in p.opts for p in main.params)
    for name in _COMMANDS:
        cmd = main.get_command(ctx, name)
        assert cmd is not None
        for path, leaf in _leaves(cmd, name):
            if isinstance(leaf, click.Group):
                continue
            opts = {o for p in leaf.params for o in getattr(p, "opts", [])}
            assert "--json" in opts, f"`slipstream {path}` has no --json"


def test_errors_are_one_json_object_with_the_same_exit_code(server: LiveServer) -> None:
    missing = unique("nope")
    args = ["get", "tasks", "--endpoint", server.url, "-p", missing]
    plain = CliRunner().invoke(main, args)
    as_json = CliRunner().invoke(main, [*args, "--json"])
    assert plain.exit_code == as_json.exit_code == 1
    assert "not_found" in plain.stderr and plain.stdout == ""
    error = one_json(as_json)["error"]
    assert isinstance(error, dict)
    assert error["code"] == "not_found" and missing in str(error["message"])
    assert as_json.stderr == ""

    # --json before the command works the same
    before = CliRunner().invoke(main, ["--json", *args])
    assert before.exit_code == 1 and one_json(before)["error"] == error

    # bad usage: exit 2 either way, and the JSON names the input concerned
    usage = CliRunner().invoke(main, ["get", "tasks", "--limit", "many", "--json"])
    assert usage.exit_code == 2
    error = one_json(usage)["error"]
    assert isinstance(error, dict)
    assert error["code"] == "bad_input" and error["input"] == "limit"
    assert CliRunner().invoke(main, ["get", "tasks", "--limit", "many"]).exit_code == 2

    unknown = CliRunner().invoke(main, ["no-such-command", "--json"])
    assert unknown.exit_code == 2 and "no-such-command" in str(one_json(unknown)["error"])

    down = CliRunner().invoke(
        main, ["get", "projects", "--endpoint", "http://127.0.0.1:9", "--json"]
    )
    assert down.exit_code == 1
    error = one_json(down)["error"]
    assert isinstance(error, dict) and error["kind"] == "SYSTEM"


def test_results_are_json(server: LiveServer, tmp_path: Path, slipstream_home: Path) -> None:
    project = unique("js")
    init = one_json(invoke("config", "init", "--endpoint", server.url, "-p", project, "--json"))
    assert init["endpoint"] == server.url and Path(str(init["path"])).is_file()
    created = one_json(invoke("project", "create", project, "--json"))
    assert created["name"] == project
    settings = one_json(invoke("settings", "get", "--json"))
    assert isinstance(settings, dict)
    stored = one_json(invoke("settings", "set", '{"max_parallelism": 3}', "--json"))
    assert stored["max_parallelism"] == 3

    pkg, name = write_project(tmp_path)
    rows = json.loads(invoke("register", str(pkg), "--json").stdout)
    kinds = {r["type"] for r in rows}
    assert kinds == {"task", "workflow", "launch-plan"}
    version = rows[0]["version"]

    table = invoke("get", "launch-plans").stdout
    assert f"{name}.mod0.nightly" in table
    for alias in ("launchplans", "launch_plans", "lp"):
        listed = json.loads(invoke("get", alias, "--json").stdout)
        assert {r["type"] for r in listed} == {"launch-plan"}

    promoted = one_json(
        invoke(
            "promote",
            "launchplan",  # an alias of launch-plan
            f"{name}.mod0.nightly",
            "--version",
            "latest",
            "--from",
            "development",
            "--to",
            "staging",
            "--json",
        )
    )
    assert promoted["version"] == version
    text = invoke(
        "promote",
        "launch-plan",
        f"{name}.mod0.nightly",
        "--version",
        "latest",
        "--from",
        "development",
        "--to",
        "production",
    ).stdout
    assert f"promoted launch-plan {name}.mod0.nightly@{version}" in text
    bad_kind = CliRunner().invoke(
        main, ["promote", "lunch", "x", "--version", "1", "--from", "a", "--to", "b", "--json"]
    )
    assert bad_kind.exit_code == 2 and "launch-plan" in str(one_json(bad_kind)["error"])

    archived = one_json(invoke("project", "archive", project, "--json"))
    assert archived == {"name": project, "state": "archived"}


def test_a_command_without_json_output_is_wrapped(slipstream_home: Path) -> None:
    @click.command()
    def hello() -> None:
        click.echo("hello there")

    from slipstream.cli._json_mode import add_json_flag, set_json_mode

    cmd = add_json_flag(hello)
    set_json_mode(True)
    try:
        result = CliRunner().invoke(cmd, ["--json"], catch_exceptions=False)
    finally:
        set_json_mode(False)
    assert json.loads(result.stdout) == {"ok": True, "output": "hello there"}


BLOCK_HTTPX = textwrap.dedent(
    """
    import sys

    class Block:
        def find_spec(self, name, path=None, target=None):
            if name == "httpx" or name.startswith("httpx."):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, Block())
    from slipstream.cli import main
    main()
    """
)


@pytest.mark.parametrize("as_json", [False, True])
def test_a_missing_extra_is_one_line(tmp_path: Path, as_json: bool) -> None:
    args = ["get", "projects", "--endpoint", "http://127.0.0.1:9"] + (["--json"] if as_json else [])
    done = subprocess.run(
        [sys.executable, "-c", BLOCK_HTTPX, *args],
        capture_output=True,
        text=True,
        env=child_env(tmp_path / f"home-{uuid.uuid4().hex[:6]}"),
        timeout=60,
    )
    assert done.returncode == 1
    hint = "pip install 'slipstream[server]'"
    if as_json:
        error = json.loads(done.stdout)["error"]
        assert error["code"] == "missing_extra" and hint in error["message"]
    else:
        assert "Traceback" not in done.stderr and hint in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1


def test_a_long_running_command_prints_each_line_as_it_comes(slipstream_home: Path) -> None:
    @click.command(name="logs")
    def logs() -> None:
        click.echo("first line")
        click.echo("second line")

    from slipstream.cli._json_mode import add_json_flag, set_json_mode

    cmd = add_json_flag(logs)
    set_json_mode(True)
    try:
        result = CliRunner().invoke(cmd, ["--json"], catch_exceptions=False)
    finally:
        set_json_mode(False)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines == [{"output": "first line"}, {"output": "second line"}]


@pytest.mark.parametrize(
    "typed", ["launch-plan", "launch-plans", "launchplan", "launch_plan", "lp"]
)
def test_a_kind_command_answers_to_every_spelling(
    typed: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from slipstream.cli import _main

    commands = {k: v for k, v in _main._COMMANDS.items() if k not in _main._SPELLINGS[0]}
    commands["launch-plan"] = ("slipstream.cli._get", "get")  # any group stands in for it
    monkeypatch.setattr(_main, "_COMMANDS", commands)
    result = CliRunner().invoke(main, [typed, "--help"], catch_exceptions=False)
    assert result.exit_code == 0 and "Show what the server holds" in result.stdout
