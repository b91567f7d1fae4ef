"""A registration conflict names the functions whose source changed, with the changed lines,
not only two bundle hashes (issue 11)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from live_server import LiveServer, unique
from projects import write_project

from slipstream.cli import main
from slipstream.errors import ConflictError
from slipstream.remote import Remote


@pytest.fixture
def remote(server: LiveServer) -> Iterator[Remote]:
    with Remote(server.url, unique("cd"), "development") as r:
        assert r.default_project
        r.create_project(r.default_project)
        yield r


def test_conflict_names_changed_functions_and_lines(remote: Remote, tmp_path: Path) -> None:
    pkg, name = write_project(tmp_path)
    remote.register(pkg, version="v1")
    mod = pkg / "mod0.py"
    mod.write_text(mod.read_text().replace("return 2 * x", "return 3 * x"))

    with pytest.raises(ConflictError) as caught:
        remote.register(pkg, version="v1")
    message = caught.value.message
    assert f"function {name}.mod0.double ({name}/mod0.py) changed:" in message
    assert "-    return 2 * x" in message and "+    return 3 * x" in message
    assert f"function {name}.mod0.add" not in message  # its source did not change
    details = caught.value.details
    assert isinstance(details, dict)
    functions = [f for c in details["conflicts"] for f in c["functions"]]
    assert {f["function"] for f in functions} == {f"{name}.mod0.double"}

    assert remote.default_project
    args = ["register", str(pkg), "--version", "v1", "--endpoint", remote.endpoint]
    args += ["-p", remote.default_project]
    shown = CliRunner().invoke(main, args)
    assert shown.exit_code == 1 and "+    return 3 * x" in shown.stderr
    as_json = CliRunner().invoke(main, [*args, "--json"])
    assert as_json.exit_code == 1
    error = json.loads(as_json.stdout)["error"]
    assert error["code"] == "conflict" and "+    return 3 * x" in error["message"]
