"""Eager workflows on a server: the engine host steps the body and records each call (issue 10)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from engine_procs import FLOWS, cluster, wait_phase

pytestmark = pytest.mark.timeout(180)


def _launch(c: Any, rtype: str, name: str, inputs: dict[str, Any]) -> str:
    body = {
        "target": {"resource_type": rtype, "project": "proj", "domain": "development",
                   "name": name},
        "inputs": inputs,
    }  # fmt: skip
    with c.api() as api:
        r = api.post("/executions", json=body)
        assert r.status_code == 201, r.text
        return str(r.json()["id"]["name"])


def test_an_eager_workflow_runs_on_the_server_with_recorded_calls(tmp_path: Path) -> None:
    from slipstream.remote import Remote

    with cluster("sqlite", tmp_path) as c:
        c.server().start()
        c.wait_ready()
        with Remote(c.url, project="proj", domain="development") as r:
            r.create_project("proj")
            r.register(FLOWS / "eager_flows.py")
        name = _launch(c, "workflow", "eager_flows.around", {"n": 3})
        rec = wait_phase(c, name)
        assert rec["phase"] == "SUCCEEDED", rec
        assert rec["outputs"] == {"o0": [0, 1, 4, -1]}
        with c.api() as api:
            nodes = api.get(f"/executions/proj/development/{name}/nodes?parent=n0").json()
        paths = {n["path"]: n for n in nodes["items"]}
        assert {"n0/e0", "n0/e1", "n0/e2", "n0/e3"} <= set(paths), sorted(paths)
        assert paths["n0/e3"]["phase"] == "FAILED"
        # the eager workflow itself as the target
        name = _launch(c, "task", "eager_flows.squares", {"n": 2})
        rec = wait_phase(c, name)
        assert rec["phase"] == "SUCCEEDED", rec
        assert rec["outputs"] == {"o0": [0, 1, -1]}
