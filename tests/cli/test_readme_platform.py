"""The README's server walkthrough runs as written against a real server process: the commands of
its first block (all but starting servers), on the repository's own examples/wfpkg/, and the
Python block that follows them. Only the endpoint, and the project name (unique per run), change."""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from live_server import LiveServer, live, unique

from slipstream.cli import main

ROOT = Path(__file__).resolve().parents[2]
SECTION = ROOT.joinpath("README.md").read_text().split("## The platform: `slipstream server`", 1)[1]
COMMANDS = re.search(r"```bash\n(.*?)```", SECTION, re.S)
PYTHON = re.search(r"```python\n(.*?)```", SECTION, re.S)


@pytest.fixture(scope="module")
def server() -> LiveServer:
    return live("sqlite")


def test_the_walkthrough_runs_as_written(
    server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert COMMANDS is not None and PYTHON is not None
    monkeypatch.chdir(ROOT)  # the README's paths are the repository's
    monkeypatch.setenv("SLIPSTREAM_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("SLIPSTREAM_TOKEN", server.token)
    monkeypatch.delenv("SLIPSTREAM_ENDPOINT", raising=False)
    monkeypatch.delenv("SLIPSTREAM_PROJECT", raising=False)
    project = unique("myproj")
    ran = []
    for line in COMMANDS.group(1).splitlines():
        words = shlex.split(line, comments=True)
        if not words or words[:2] == ["slipstream", "server"]:
            continue
        args = [
            {"myproj": project, "http://127.0.0.1:8080": server.url}.get(w, w) for w in words[1:]
        ]
        result = CliRunner().invoke(main, args, catch_exceptions=False)
        assert result.exit_code == 0, f"{line}\n{result.output}"
        ran.append(args[0])
    assert "register" in ran and "promote" in ran
    # the promoted workflow is in staging, with the version registered in development
    staged = CliRunner().invoke(
        main,
        ["get", "workflows", "wfpkg.flows.training", "-p", project, "-d", "staging", "-o", "json"],
    )
    assert staged.exit_code == 0 and '"name": "wfpkg.flows.training"' in staged.stdout

    code = (
        PYTHON.group(1)
        .replace("http://127.0.0.1:8080", server.url)
        .replace('"myproj"', repr(project))
    )
    scope: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), scope)
    scope["remote"].close()  # type: ignore[attr-defined]
    assert scope["wf"].workflow.id.name == "wfpkg.flows.training"  # type: ignore[attr-defined]
