"""Launch plan nodes run on the server as child executions, linked both ways; aborting the
parent aborts the child."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from engine_procs import cluster, db_rows, execution, launch, register_flows, wait_phase
from live_server import BACKENDS

pytestmark = pytest.mark.timeout(180)


@pytest.mark.parametrize("backend", BACKENDS)
def test_launch_plan_node_runs_as_a_linked_child_execution(backend: str, tmp_path: Path) -> None:
    with cluster(backend, tmp_path) as c:
        c.server().start()
        c.wait_ready()
        register_flows(c)
        name = launch(c, "outer", {"x": 5})
        rec = wait_phase(c, name)
        assert rec["phase"] == "SUCCEEDED", rec
        assert rec["outputs"] == {"o0": 7}
        with c.api() as api:
            nodes = api.get(f"/executions/proj/development/{name}/nodes").json()["items"]
        lp_node = next(n for n in nodes if n["path"] == "n0")
        child = lp_node["child"]
        assert child["project"] == "proj" and child["name"] != name
        # the child names its parent and node, and ran the launch plan's workflow
        child_rec = execution(c, child["name"])
        assert child_rec["phase"] == "SUCCEEDED"
        assert child_rec["spec"]["parent_execution"]["name"] == name
        assert child_rec["spec"]["parent_node"] == "n0"
        assert child_rec["spec"]["launch_plan"]["name"] == "inner_lp"
        assert child_rec["outputs"] == {"o0": 6}
        rows = db_rows(
            c.db_url,
            "SELECT c.parent_node, p.name FROM executions c JOIN executions p "
            "ON p.id = c.parent_id WHERE c.name = :n",
            n=child["name"],
        )
        assert rows == [("n0", name)]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_aborting_the_parent_aborts_its_child(backend: str, tmp_path: Path) -> None:
    with cluster(backend, tmp_path) as c:
        c.server().start()
        c.wait_ready()
        register_flows(c)
        name = launch(c, "outer_slow", {"n": 200})
        child = None
        deadline = time.monotonic() + 60
        while child is None and time.monotonic() < deadline:
            with c.api() as api:
                items = api.get(f"/executions/proj/development/{name}/nodes").json()["items"]
            child = next((n.get("child") for n in items if n.get("child")), None)
            time.sleep(0.1)
        assert child is not None, "the child execution never started"
        wait_phase(c, child["name"], {"RUNNING"})
        with c.api() as api:
            assert api.post(f"/executions/proj/development/{name}/abort").status_code == 200
        assert wait_phase(c, name)["phase"] == "ABORTED"
        assert wait_phase(c, child["name"])["phase"] == "ABORTED"


@pytest.mark.parametrize("backend", BACKENDS)
def test_cache_is_shared_between_executions_of_a_project_and_domain(
    backend: str, tmp_path: Path
) -> None:
    mark_file = tmp_path / "marks"
    with cluster(backend, tmp_path, SLIPSTREAM_TEST_MARKS=str(mark_file)) as c:
        c.server().start()
        c.wait_ready()
        register_flows(c)
        first = launch(c, "cached", {"x": 7})
        assert wait_phase(c, first)["outputs"] == {"o0": 49}
        second = launch(c, "cached", {"x": 7})
        assert wait_phase(c, second)["outputs"] == {"o0": 49}
        with c.api() as api:
            one = api.get(f"/executions/proj/development/{first}/nodes").json()["items"][0]
            two = api.get(f"/executions/proj/development/{second}/nodes").json()["items"][0]
        assert one["cache"] == "POPULATED"
        assert two["cache"] == "HIT"
        assert [m for m in mark_file.read_text().splitlines()] == [f"{first} n0 0"]


def test_a_log_is_followed_while_its_attempt_runs(tmp_path: Path) -> None:
    with cluster("sqlite", tmp_path) as c:
        c.server().start()
        c.wait_ready()
        register_flows(c)
        name = launch(c, "talk", {"n": 10})
        seen = ""
        offset = 0
        deadline = time.monotonic() + 60
        with c.api() as api:
            while time.monotonic() < deadline and "line 1" not in seen:
                r = api.get(
                    f"/executions/proj/development/{name}/nodes/n0/logs", params={"offset": offset}
                )
                if r.status_code == 200:
                    chunk = r.json()
                    seen += chunk.get("data", "")
                    offset = chunk["next_offset"]
                time.sleep(0.1)
            # the first lines arrived while the task still runs (it prints for 4 s)
            assert "line 0" in seen and "line 1" in seen, seen
            assert execution(c, name).get("phase") == "RUNNING"
        assert wait_phase(c, name)["phase"] == "SUCCEEDED"
