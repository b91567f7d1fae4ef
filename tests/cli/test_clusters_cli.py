"""Clusters from the command line against a real server: ``get clusters [--json]``, routing by
``settings set --workflow`` and per run (``run --remote --cluster``), and the cluster in
``execution describe``."""

from __future__ import annotations

import json
import sys
import time
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from live_server import LiveServer, cli, cli_project, live

from slipstream.server import Database
from slipstream.server._clusters import record_heartbeat

FLOWS = """
from slipstream import task, workflow


@task
def double(x: int) -> int:
    return 2 * x


@workflow
def pipeline(x: int = 3) -> int:
    return double(x=x)
"""


@pytest.fixture(scope="module")
def server() -> LiveServer:
    return live("sqlite")


@pytest.fixture
def env(server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path]:
    project, package = cli_project(server, monkeypatch, "cc", tmp_path, {"flows.py": FLOWS})
    return project, package / "flows.py"


def _heartbeat(server: LiveServer, cluster: str) -> None:
    db = Database(server.db_url)
    try:
        record_heartbeat(
            db,
            owner=f"edge-1:7:{cluster}",
            cluster=cluster,
            hostname="edge-1",
            runner="local",
            capacity={"cpus": 8, "memory": 32 << 30, "gpus": 0, "slots": 8},
            running=0,
            executions=0,
            lease_s=600,
            store_url="file:///edge",
            started_at=time.time(),
        )
    finally:
        db.dispose()


def test_get_clusters(server: LiveServer, env: tuple[str, Path]) -> None:
    east = f"east-{uuid.uuid4().hex[:8]}"
    _heartbeat(server, east)
    listed = json.loads(cli("get", "clusters", "--json").output)
    by_name = {c["name"]: c for c in listed}
    assert by_name[east]["alive"] is True
    (host,) = by_name[east]["hosts"]
    assert host["hostname"] == "edge-1" and host["capacity"]["cpus"] == 8
    assert "local" in by_name
    table = cli("get", "clusters", east).output
    assert east in table and "1/1 alive" in table and "32Gi" in table
    assert "does not exist" in cli("get", "clusters", "nowhere", code=1).output


def test_routing_by_workflow_settings_and_per_run(
    server: LiveServer, env: tuple[str, Path]
) -> None:
    _, flows = env
    edge = f"edge-{uuid.uuid4().hex[:8]}"
    _heartbeat(server, edge)
    cli("register", str(flows.parent))
    (wf,) = {w["name"] for w in json.loads(cli("get", "workflows", "--json").output)}
    assert wf.endswith("flows.pipeline")  # workflows are named by module, as in Flyte
    route = json.dumps({"execution_cluster": [edge]})
    cli("settings", "set", "-d", "development", "--workflow", wf, route)
    got = json.loads(cli("settings", "get", "-d", "development", "--workflow", wf).output)
    assert got == {"execution_cluster": [edge]}
    assert json.loads(cli("settings", "get", "-d", "development").output) == {}
    bad = cli("settings", "set", "--workflow", wf, route, code=2).output
    assert "-d DOMAIN" in bad
    # routed by the workflow's settings: it waits on the edge cluster (no real host there)
    out = json.loads(cli("run", "--remote", "--json", str(flows), "pipeline", "--x", "2").output)
    name = out["execution"].rsplit("/", 1)[1]
    queued = json.loads(cli("execution", "describe", name, "--json").output)
    assert queued["cluster"] == edge and queued["phase"] == "QUEUED"
    cli("execution", "abort", name)
    # `launch` of the registered workflow: the route of its settings, or --cluster
    for extra, where in (((), edge), (("--cluster", "local"), "local")):
        out = json.loads(cli("launch", "--json", *extra, wf, "--x", "1").output)
        launched = out["execution"].rsplit("/", 1)[1]
        got = json.loads(cli("execution", "describe", launched, "--no-nodes", "--json").output)
        assert got["cluster"] == where
        if where == edge:
            cli("execution", "abort", launched)
    # per run: the default cluster runs it
    done = cli(
        "run", "--remote", "--cluster", "local", "--wait", str(flows), "pipeline", "--x", "2"
    )
    assert "4" in done.output
    listed = json.loads(cli("get", "executions", "--json").output)
    ran = next(e for e in listed if e["phase"] == "SUCCEEDED")
    assert ran["cluster"] == "local"
    described = json.loads(cli("execution", "describe", ran["name"], "--attempts", "--json").output)
    (node,) = [n for n in described["nodes"] if n.get("attempt_list")]
    assert [a["cluster"] for a in node["attempt_list"]] == ["local"]
    text = cli("execution", "describe", ran["name"], "--attempts").output
    assert "attempt 1: SUCCEEDED on cluster local" in text
    # a cluster nobody registered: refused, nothing started
    refused = cli("run", "--remote", "--cluster", "nowhere", str(flows), "pipeline", code=1)
    assert "unknown cluster nowhere" in refused.output
    assert len(json.loads(cli("get", "executions", "--json").output)) == 4
