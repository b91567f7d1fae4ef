"""The client commands (config, project, register, get, promote) against a real server."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "remote"))

from live_server import LiveServer, live, unique
from projects import write_project

from slipstream.cli import main


@pytest.fixture(scope="module")
def server() -> LiveServer:
    return live("sqlite")


def run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_client_commands(server: LiveServer, tmp_path: Path, slipstream_home: Path) -> None:
    project = unique("cli")
    assert "config.toml" in run("config", "init", "--endpoint", server.url, "-p", project)
    assert (slipstream_home / "config.toml").read_text().count(server.url) == 1
    run("project", "create", project, "--description", "from the cli", "--label", "a=b")
    listed = json.loads(run("get", "projects", project, "--json"))
    assert listed[0]["name"] == project and listed[0]["labels"] == {"a": "b"}

    pkg, name = write_project(tmp_path)
    rows = json.loads(run("register", str(pkg), "--version", "v1", "--json"))
    assert {r["status"] for r in rows} == {"created"} and len(rows) == 5
    assert "unchanged" in run("register", str(pkg), "--version", "v1")

    workflows = json.loads(run("get", "workflows", "--json"))
    assert [(w["name"], w["version"]) for w in workflows] == [(f"{name}.mod0.pipeline", "v1")]
    one = json.loads(
        run("get", "launch-plans", f"{name}.mod0.nightly", "--version", "v1", "--json")
    )
    assert one[0]["spec"]["workflow"]["name"] == f"{name}.mod0.pipeline"
    assert len(json.loads(run("get", "tasks", "--json"))) == 2
    assert f"{name}.mod0.double" in run("get", "tasks")

    out = run(
        "promote",
        "workflow",
        f"{name}.mod0.pipeline",
        "--version",
        "v1",
        "--from",
        "development",
        "--to",
        "staging",
    )
    assert "promoted workflow" in out
    staged = json.loads(run("get", "workflows", "-d", "staging", "--json"))
    assert staged[0]["domain"] == "staging"

    run("project", "archive", project)
    failed = CliRunner().invoke(main, ["register", str(pkg), "--version", "v2"])
    assert failed.exit_code == 1 and "archived" in failed.output


def test_missing_endpoint_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLIPSTREAM_ENDPOINT", raising=False)
    result = CliRunner().invoke(main, ["get", "projects"])
    assert result.exit_code == 1 and "no server endpoint" in result.output


def test_settings_commands(server: LiveServer, slipstream_home: Path) -> None:
    project = unique("cfg")
    run("config", "init", "--endpoint", server.url, "-p", project)
    run("project", "create", project)
    stored = json.loads(
        run("settings", "set", "-p", project, '{"max_parallelism": 8, "labels": {"team": "ml"}}')
    )
    assert stored["max_parallelism"] == 8
    run("settings", "set", "-p", project, "-d", "production", '{"max_parallelism": 2}')
    assert json.loads(run("settings", "get", "-p", project))["labels"] == {"team": "ml"}
    resolved = json.loads(run("settings", "get", "-p", project, "-d", "production", "--resolved"))
    assert resolved["max_parallelism"] == 2 and resolved["labels"] == {"team": "ml"}
    bad = CliRunner().invoke(main, ["settings", "set", "-p", project, '{"nope": 1}'])
    assert bad.exit_code == 2 and "not valid settings" in bad.output
    assert json.loads(run("settings", "get", "-p", project))["max_parallelism"] == 8
