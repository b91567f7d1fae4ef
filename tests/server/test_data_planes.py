"""Data planes: engine hosts of named clusters that reach the control plane only through its API.

The control plane runs with ``--no-engine``; each data plane has its own home and blob store and
no database URL, and holds a cluster token that reaches its own cluster's plane routes alone.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import time
from collections import Counter
from pathlib import Path

import pytest
from data_planes import Platform, platform
from engine_procs import TERMINAL, db_rows, marks

pytestmark = pytest.mark.timeout(300)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_executions_run_on_the_data_plane_of_their_cluster(backend: str, tmp_path: Path) -> None:
    with platform(backend, tmp_path) as p:
        p.start_control()
        east = p.data_plane("east", "east", p.cluster_token("east"))
        west = p.data_plane("west", "west", p.cluster_token("west"))
        east.start()
        west.start()
        east.wait_output("running executions of cluster east")
        west.wait_output("running executions of cluster west")
        p.register()
        on_east = p.launch("durable", {"n": 5, "delay": 0.0}, cluster="east")
        on_west = p.launch("durable", {"n": 5, "delay": 0.0}, cluster="west")
        for name, where in ((on_east, "east"), (on_west, "west")):
            rec = p.wait_phase(name, {"SUCCEEDED", "FAILED", "ABORTED"})
            assert rec["phase"] == "SUCCEEDED", rec
            assert rec["outputs"] == {"o0": sum(2 * (2 + k) for k in range(5)) + 1}
            assert rec["cluster"] == where
            with p.api() as api:
                r = api.get(f"/executions/proj/development/{name}/nodes/n0/attempts")
            assert r.status_code == 200, r.text
            assert {a.get("cluster") for a in r.json()} == {where}, r.json()


def _succeeded(p: Platform, name: str) -> set[str]:
    rows = db_rows(
        p.db_url,
        "SELECT n.path FROM node_executions n JOIN executions e ON e.id = n.execution_id "
        "WHERE e.name = :name AND n.phase = 'SUCCEEDED'",
        name=name,
    )
    return {r[0] for r in rows}


def _route(p: Platform, *clusters: str) -> None:
    with p.api() as api:
        r = api.put("/projects/proj/settings", json={"execution_cluster": list(clusters)})
        assert r.status_code == 200, r.text


def _check_nothing_finished_ran_again(
    snapshots: list[tuple[set[str], Counter[str]]], final: Counter[str]
) -> None:
    for done, ran in snapshots:
        again = {n: (ran[n], final[n]) for n in done if final[n] != ran[n]}
        assert not again, f"finished nodes ran again: {again}"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_killed_data_plane_fails_over_to_the_next_cluster_of_the_route(
    backend: str, tmp_path: Path
) -> None:
    """kill -9 of east's data plane mid-run: its executions move to west, resume from the
    recorded nodes (none that finished runs again) and succeed there."""
    mark_file = tmp_path / "marks"
    with platform(backend, tmp_path, SLIPSTREAM_TEST_MARKS=str(mark_file)) as p:
        p.start_control()
        east = p.data_plane("east", "east", p.cluster_token("east"))
        west = p.data_plane("west", "west", p.cluster_token("west"))
        for dp, name in ((east, "east"), (west, "west")):
            dp.start()
            dp.wait_output(f"running executions of cluster {name}")
        p.register()
        _route(p, "east", "west")
        n = 60
        names = [p.launch("durable", {"n": n, "delay": 0.1}) for _ in range(2)]
        queued = p.launch("durable", {"n": 3, "delay": 0.0}, cluster="")  # may still wait
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(_succeeded(p, names[0])) < 4:
            time.sleep(0.05)
        east.kill9()
        done = {name: _succeeded(p, name) for name in names}
        ran = Counter((ex, node) for ex, node, _ in marks(mark_file))
        assert any(done.values()), "nothing had finished before the kill"
        for name in [*names, queued]:
            rec = p.wait_phase(name, TERMINAL, timeout=120)
            assert rec["phase"] == "SUCCEEDED", rec
        final = Counter((ex, node) for ex, node, _ in marks(mark_file))
        for name in names:
            rec = p.execution(name)
            assert rec["outputs"] == {"o0": sum(2 * (2 + k) for k in range(n)) + 1}
            assert rec["cluster"] == "west", rec
            again = {node for node in done[name] if final[(name, node)] != ran[(name, node)]}
            assert not again, f"{name}: finished nodes ran again on west: {again}"
        moved = db_rows(p.db_url, "SELECT count(*) FROM events WHERE kind = 'cluster_moved'")[0][0]
        print(f"{backend}: {moved} executions moved east -> west after kill -9 of east")
        assert moved >= 2


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_control_plane_and_data_plane_killed_in_turn_lose_nothing(
    backend: str, tmp_path: Path
) -> None:
    """kill -9 of the control plane (the data plane waits, keeping what it buffered), of the
    data plane, of both in either order, ten rounds at random moments: the execution succeeds
    and no node recorded finished at a kill runs again."""
    mark_file = tmp_path / "marks"
    with platform(backend, tmp_path, SLIPSTREAM_TEST_MARKS=str(mark_file)) as p:
        control = p.start_control()
        token = p.cluster_token("east")
        east = p.data_plane("east", "east", token)
        east.start()
        east.wait_output("running executions of cluster east")
        p.register()
        n = 300
        name = p.launch("durable", {"n": n, "delay": 0.05}, cluster="east")
        snapshots: list[tuple[set[str], Counter[str]]] = []
        rng = random.Random(int.from_bytes(os.urandom(4), "big"))
        rounds = [[control], [east], [control, east], [east, control]]
        rounds += [rng.choice(rounds) for _ in range(4)]
        kills = sum(len(r) for r in rounds)
        for victims in rounds:
            time.sleep(rng.uniform(0.3, 1.0))
            for v in victims:
                v.kill9()
            snapshots.append(
                (_succeeded(p, name), Counter(nd for ex, nd, _ in marks(mark_file) if ex == name))
            )
            time.sleep(rng.uniform(0.0, 1.0))
            for v in victims:
                if v is control:
                    p.start_control()
                else:
                    east.start()
                    east.wait_output("running executions of cluster east")
        rec = p.wait_phase(name, TERMINAL, timeout=180)
        assert rec["phase"] == "SUCCEEDED", rec
        assert rec["outputs"] == {"o0": sum(2 * (2 + k) for k in range(n)) + 1}
        final = Counter(nd for ex, nd, _ in marks(mark_file) if ex == name)
        _check_nothing_finished_ran_again(snapshots, final)
        print(f"{backend}: {kills} kills in {len(rounds)} rounds, "
              f"{sum(final.values()) - len(final)} task runs repeated (in flight at a kill)")  # fmt: skip


def test_a_cluster_token_reaches_its_own_cluster_alone(tmp_path: Path) -> None:
    """A cluster token may not read executions, launch, register, list projects, act as
    another cluster, or write records of another cluster's execution."""
    with platform("sqlite", tmp_path) as p:
        p.start_control()
        east_token = p.cluster_token("east")
        west_token = p.cluster_token("west")
        west = p.data_plane("west", "west", west_token)
        west.start()
        west.wait_output("running executions of cluster west")
        p.register()
        name = p.launch("durable", {"n": 2, "delay": 0.0}, cluster="west")
        rec = p.wait_phase(name, TERMINAL)
        assert rec["phase"] == "SUCCEEDED"
        slow = p.launch("wide", {"n": 4, "delay": 30.0}, cluster="west")
        p.wait_phase(slow, {"RUNNING"})
        pk = db_rows(p.db_url, "SELECT id FROM executions WHERE name = :n", n=slow)[0][0]
        before = db_rows(p.db_url, "SELECT record FROM executions WHERE name = :n", n=slow)
        with p.api(east_token) as api:
            for method, path, body in (
                ("GET", f"/executions/proj/development/{name}", None),
                ("GET", "/executions/proj/development", None),
                ("POST", "/executions", {"target": {"resource_type": "workflow", "project":
                    "proj", "domain": "development", "name": "durable.durable"}}),
                ("GET", "/projects", None),
                ("POST", "/registrations", {"entities": []}),
                ("POST", "/tokens", {"scope": ""}),
                ("POST", "/clusters/west/plane/claim", {"owner": "x:1:a", "lease_s": 5, "limit": 5}),
                ("POST", "/clusters/west/plane/stored", {"pk": pk}),
            ):  # fmt: skip
                r = api.request(method, path, json=body)
                assert r.status_code == 403, (method, path, r.status_code, r.text)
            # as east: west's execution is not there to claim, read, record or fail
            r = api.post("/clusters/east/plane/claim", json={"owner": "h:1:x", "lease_s": 5,
                                                             "limit": 50})  # fmt: skip
            assert r.status_code == 200 and r.json()["executions"] == [], r.text
            assert api.post("/clusters/east/plane/stored", json={"pk": pk}).status_code == 404
            forged = {
                "owner": "h:1:x",
                "batches": [{"pk": pk, "execution": ["FAILED", "{}", True]}],
            }
            r = api.post("/clusters/east/plane/flush", json=forged)
            assert r.status_code == 200 and r.json()["lost"] == [pk], r.text
            r = api.post("/clusters/east/plane/fail", json={"owner": "h:1:x", "pk": pk,
                                                            "code": "x", "message": "x"})  # fmt: skip
            assert r.status_code == 200
            r = api.post("/clusters/east/plane/program", json={"target": {
                "resource_type": "workflow", "project": "proj", "domain": "development",
                "name": "durable.wide", "version": rec["spec"]["target"]["version"]}})  # fmt: skip
            assert r.status_code == 404, r.text
        after = db_rows(p.db_url, "SELECT record FROM executions WHERE name = :n", n=slow)
        assert after == before
        assert p.execution(slow)["phase"] == "RUNNING"
        # west's own token may not rewrite its execution as another one either
        with p.api(west_token) as api:
            owner = db_rows(p.db_url, "SELECT lease_owner FROM executions WHERE id = :i", i=pk)
            other = json.loads(before[0][0])
            other["id"]["name"] = name
            forged = {"owner": owner[0][0], "batches": [{"pk": pk, "execution": [
                other["phase"], json.dumps(other), False]}]}  # fmt: skip
            r = api.post("/clusters/west/plane/flush", json=forged)
            assert r.status_code == 403, r.text
        assert db_rows(p.db_url, "SELECT record FROM executions WHERE name = :n", n=slow) == before


def test_outputs_the_next_cluster_cannot_read_are_made_again(tmp_path: Path) -> None:
    """East dies and its store goes with it: west cannot read the file east's finished node
    wrote, so that node runs again there, and the execution's events say why."""
    mark_file = tmp_path / "marks"
    with platform("sqlite", tmp_path, SLIPSTREAM_TEST_MARKS=str(mark_file)) as p:
        p.start_control()
        east = p.data_plane("east", "east", p.cluster_token("east"))
        west = p.data_plane("west", "west", p.cluster_token("west"))
        for dp, name in ((east, "east"), (west, "west")):
            dp.start()
            dp.wait_output(f"running executions of cluster {name}")
        p.register(module="planes")
        _route(p, "east", "west")
        name = p.launch("handover", {"n": 10, "delay": 4.0}, module="planes")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "n0" not in _succeeded(p, name):
            time.sleep(0.05)
        assert "n0" in _succeeded(p, name)
        east.kill9()
        shutil.rmtree(tmp_path / "plane-east" / "data")  # its store is gone with it
        rec = p.wait_phase(name, TERMINAL, timeout=120)
        assert rec["phase"] == "SUCCEEDED", rec
        assert rec["outputs"] == {"o0": 11}
        assert rec["cluster"] == "west"
        runs = Counter(node for ex, node, _ in marks(mark_file) if ex == name)
        assert runs["n0"] == 2, runs  # made again on west
        events = db_rows(
            p.db_url,
            "SELECT v.node, v.payload FROM events v JOIN executions e ON e.id = v.execution_id "
            "WHERE e.name = :n AND v.kind = 'outputs_unreadable'",
            n=name,
        )
        assert [node for node, _ in events] == ["n0"], events
        why = json.loads(events[0][1])
        assert why["from"] == "east" and why["to"] == "west" and "plane-east" in why["uri"]


@pytest.mark.ray
def test_a_ray_backed_data_plane_beside_a_pool_backed_one(tmp_path: Path) -> None:
    """Cluster "ray" runs its attempts on a Ray cluster, "east" on a pool of workers; the
    clusters listing shows each one's runner and capacity."""
    pytest.importorskip("ray")
    from ray_cluster import local_ray_cluster

    with local_ray_cluster(head_cpus=1, second_cpus=2) as rc, platform("sqlite", tmp_path) as p:
        p.start_control()
        east = p.data_plane("east", "east", p.cluster_token("east"))
        on_ray = p.data_plane(
            "ray", "ray", p.cluster_token("ray"), "--runner", "ray", "--ray-address", rc.address
        )
        for dp, name in ((east, "east"), (on_ray, "ray")):
            dp.start()
            dp.wait_output(f"running executions of cluster {name}", timeout=120)
        p.register()
        names = {c: p.launch("durable", {"n": 4, "delay": 0.0}, cluster=c) for c in ("east", "ray")}
        for where, name in names.items():
            rec = p.wait_phase(name, TERMINAL, timeout=120)
            assert rec["phase"] == "SUCCEEDED", rec
            assert rec["cluster"] == where
        with p.api() as api:
            listed = {c["name"]: c for c in api.get("/clusters").json()["items"]}
        assert listed["ray"]["hosts"][0]["runner"] == f"ray://{rc.address}"
        assert listed["ray"]["capacity"]["cpus"] == 3  # the Ray cluster's, not this machine's
        assert listed["east"]["hosts"][0]["runner"] == "pool"
        assert listed["east"]["capacity"]["slots"] == 2
        assert listed["east"]["alive"] and listed["ray"]["alive"]


def test_a_data_plane_with_a_bad_token_or_no_server_says_so(tmp_path: Path) -> None:
    """A token the control plane does not know ends the data plane with the server's reason;
    an unreachable control plane is waited for (it may be restarting), with the cause logged."""
    with platform("sqlite", tmp_path) as p:
        control = p.start_control()
        token = p.cluster_token("east")
        bad = p.data_plane("bad", "east", "ss_0000000000000000_" + "x" * 24)
        bad.start()
        assert bad.process is not None
        bad.process.wait(60)
        assert bad.process.returncode != 0
        assert "the token is not known to this server" in bad.output()
        control.stop()
        waiting = p.data_plane("waiting", "east", token)
        waiting.start()
        waiting.wait_output("is unreachable", timeout=60)
        assert waiting.process is not None and waiting.process.poll() is None
        p.start_control()  # it comes back: the data plane goes on by itself
        p.register()
        name = p.launch("durable", {"n": 2, "delay": 0.0}, cluster="east")
        assert p.wait_phase(name, TERMINAL)["phase"] == "SUCCEEDED"


def test_children_cache_and_recover_through_the_api(tmp_path: Path) -> None:
    """What an engine host asks of the control plane besides records works through the API: a
    launch plan node's child execution (routed where its parent runs, having no route of its
    own), the shared cache, and a recover adopting its source's finished nodes."""
    mark_file = tmp_path / "marks"
    with platform("sqlite", tmp_path, SLIPSTREAM_TEST_MARKS=str(mark_file)) as p:
        p.start_control()
        east = p.data_plane("east", "east", p.cluster_token("east"))
        east.start()
        east.wait_output("running executions of cluster east")
        p.register()
        parent = p.launch("outer", {"x": 5}, cluster="east")  # its child has no route: it follows
        rec = p.wait_phase(parent, TERMINAL)
        assert rec["phase"] == "SUCCEEDED" and rec["outputs"] == {"o0": 7}, rec
        with p.api() as api:
            nodes = api.get(f"/executions/proj/development/{parent}/nodes").json()["items"]
        child = p.execution(next(n for n in nodes if n["path"] == "n0")["child"]["name"])
        assert child["phase"] == "SUCCEEDED" and child["cluster"] == "east"
        assert child["spec"]["parent_execution"]["name"] == parent
        _route(p, "east")

        caches = []
        for _ in range(2):
            name = p.launch("cached", {"x": 7})
            assert p.wait_phase(name, TERMINAL)["phase"] == "SUCCEEDED"
            with p.api() as api:
                caches.append(api.get(f"/executions/proj/development/{name}/nodes/n0").json())
        assert [c["cache"] for c in caches] == ["POPULATED", "HIT"]

        flag = tmp_path / "fail"
        flag.write_text("")
        failed = p.launch("recoverable", {"x": 1, "fail_flag": str(flag)})
        assert p.wait_phase(failed, TERMINAL)["phase"] == "FAILED"
        flag.unlink()
        with p.api() as api:
            r = api.post(f"/executions/proj/development/{failed}/recover", json={"name": "rec1"})
            assert r.status_code == 201, r.text
        rec = p.wait_phase("rec1", TERMINAL)
        assert rec["phase"] == "SUCCEEDED" and rec["outputs"] == {"o0": 103}, rec
        runs = Counter(node for ex, node, _ in marks(mark_file) if ex == "rec1")
        assert "n0" not in runs and runs["n1"] == 1, runs  # the first step was adopted
