"""Clusters on real server processes and databases (SQLite and PostgreSQL): routing at launch by
the settings of a project, a project+domain, a workflow and a launch plan, and per execution;
unknown clusters and tasks no cluster can run refused with nothing stored; failover of queued
and running executions down their route with an event; the listing through the API.

The servers run without an engine host, so executions stay where launch put them; a live host
of a cluster is one whose heartbeat a test records straight into the database, as an engine
host does.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import msgspec
import pytest
import specs
from flaky_proxy import FlakyProxy
from host_db import add_execution
from live_server import BACKENDS, LiveServer, pg_database, unique, user_with_role
from queued_server import auth_headers, queued_server
from sqlalchemy import select

from slipstream.model import ExecutionPhase, ResourceSpec
from slipstream.server import Database
from slipstream.server._clusters import (
    MOVED_EVENT,
    ensure,
    fail_over,
    forget_host,
    list_clusters,
    live_clusters,
    record_heartbeat,
    start_failover,
)
from slipstream.server._database import EventRow, ExecutionRow

GiB = 1 << 30


@pytest.fixture(scope="module", params=BACKENDS)
def qserver(request: pytest.FixtureRequest) -> LiveServer:
    return queued_server(request.param)


@pytest.fixture
def api(qserver: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=f"{qserver.url}/api/v1", timeout=30, headers=auth_headers(qserver)
    ) as client:
        yield client


@pytest.fixture
def db(qserver: LiveServer) -> Iterator[Database]:
    database = Database(qserver.db_url)
    yield database
    database.dispose()


def cluster_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def heartbeat(
    db: Database,
    cluster: str,
    *,
    owner: str | None = None,
    cpus: float = 4,
    memory: int = 16 * GiB,
    gpus: int = 0,
    lease_s: float = 600.0,
    running: int = 0,
) -> str:
    """A heartbeat of a host of ``cluster`` (a new host unless ``owner`` is given)."""
    owner = owner or f"host-{uuid.uuid4().hex[:8]}:1:{cluster}"
    record_heartbeat(
        db,
        owner=owner,
        cluster=cluster,
        hostname="machine-1",
        runner="local",
        capacity={"cpus": cpus, "memory": memory, "gpus": gpus, "slots": 4},
        running=running,
        executions=0,
        lease_s=lease_s,
        store_url=f"file:///stores/{cluster}",
        started_at=time.time() - 5,
    )
    return owner


def _b(obj: Any) -> Any:
    return msgspec.to_builtins(obj)


@pytest.fixture
def project(api: httpx.Client) -> str:
    """A project with workflow ``chain`` (task ``double``), its default launch plan ``chain``
    and a second launch plan ``chain.nightly``, and workflow ``gpu`` whose task asks for 1 GPU
    and 2 CPUs."""
    name = unique("cl")
    api.post("/projects", json={"name": name}).raise_for_status()
    t = specs.task("double", name, cpu="1")
    wf = specs.workflow("chain", name, tasks=(t,))
    g = msgspec.structs.replace(
        specs.task("train", name), requests=ResourceSpec(cpu="2", gpu="1", mem="8Gi")
    )
    gwf = specs.workflow("gpu", name, tasks=(g,))
    body = {
        "tasks": [_b(t), _b(g)],
        "workflows": [_b(wf), _b(gwf)],
        "launch_plans": [
            _b(specs.launch_plan("chain", wf)),
            _b(specs.launch_plan("chain.nightly", wf)),
            _b(specs.launch_plan("gpu", gwf)),
        ],
    }
    api.post("/registrations", json=body).raise_for_status()
    return name


def _target(rt: str, name: str, project: str) -> dict[str, str]:
    return {"resource_type": rt, "name": name, "project": project, "domain": "development"}


def _launch(
    api: httpx.Client, project: str, rt: str = "workflow", name: str = "chain", **kw: Any
) -> httpx.Response:
    return api.post(
        "/executions", json={"target": _target(rt, name, project), "inputs": {"x": 1}, **kw}
    )


def _row(db: Database, project: str, name: str) -> ExecutionRow:
    with db.session() as s:
        row = s.scalars(
            select(ExecutionRow).where(ExecutionRow.project == project, ExecutionRow.name == name)
        ).one()
        s.expunge(row)
        return row


def _placed(api: httpx.Client, db: Database, project: str, **kw: Any) -> tuple[str, str]:
    r = _launch(api, project, **kw)
    assert r.status_code == 201, r.text
    name = r.json()["id"]["name"]
    row = _row(db, project, name)
    assert r.json()["cluster"] == row.cluster
    return row.cluster, row.route


def _settings(api: httpx.Client, path: str, body: dict[str, Any], **params: str) -> None:
    r = api.put(path, json=body, params=params)
    assert r.status_code == 200, r.text


def test_routing_by_settings_at_each_level(api: httpx.Client, db: Database, project: str) -> None:
    east, west, north, south, central = (
        cluster_name(c) for c in ("east", "west", "north", "south", "central")
    )
    for c in (east, west, north, south, central):
        ensure(db, c)
    heartbeat(db, west)
    # nothing set: the default cluster
    assert _placed(api, db, project) == ("local", "local")
    # the project's route; the first live cluster of it takes the execution
    _settings(api, f"/projects/{project}/settings", {"execution_cluster": [east, west]})
    assert _placed(api, db, project) == (west, f"{east},{west}")
    # the project+domain's wins over the project's
    dom = f"/projects/{project}/domains/development/settings"
    _settings(api, dom, {"execution_cluster": [north]})
    assert _placed(api, db, project) == (north, north)
    # the workflow's wins over the project+domain's
    _settings(api, dom, {"execution_cluster": [south]}, workflow="chain")
    assert _placed(api, db, project) == (south, south)
    # the launch plan's wins over the workflow's; another launch plan keeps the workflow's
    _settings(api, dom, {"execution_cluster": [central]}, launch_plan="chain.nightly")
    assert _placed(api, db, project, rt="launch_plan", name="chain.nightly") == (central, central)
    assert _placed(api, db, project, rt="launch_plan", name="chain") == (south, south)
    # settings of one level read back alone
    got = api.get(dom, params={"workflow": "chain"}).json()
    assert got == {"execution_cluster": [south]}
    assert api.get(dom).json() == {"execution_cluster": [north]}
    # per execution: wins over every setting
    assert _placed(api, db, project, cluster=east) == (east, east)


def test_settings_routes_are_validated(api: httpx.Client, project: str) -> None:
    dom = f"/projects/{project}/domains/development/settings"
    for bad in (["East"], [], ["a", "a"], ["x/y"]):
        r = api.put(dom, json={"execution_cluster": bad})
        assert r.status_code == 400, (bad, r.text)
        assert "execution_cluster" in r.json()["message"]
    r = api.put(f"/projects/{project}/settings", json={"execution_cluster": "east"})
    assert r.status_code == 400
    r = api.put(dom, json={}, params={"workflow": "a", "launch_plan": "b"})
    assert r.status_code == 400


def test_unknown_cluster_is_refused_with_nothing_created(
    api: httpx.Client, db: Database, project: str
) -> None:
    ghost = cluster_name("ghost")
    r = _launch(api, project, cluster=ghost)
    assert r.status_code == 400, r.text
    assert ghost in r.json()["message"] and "unknown cluster" in r.json()["message"]
    _settings(api, f"/projects/{project}/settings", {"execution_cluster": ["local", ghost]})
    r = _launch(api, project)
    assert r.status_code == 400 and ghost in r.json()["message"]
    r = _launch(api, project, cluster="Not A Name")
    assert r.status_code == 400
    listed = api.get(f"/executions/{project}/development").json()["items"]
    assert listed == []


def test_task_asking_more_than_any_routed_cluster_is_refused(
    api: httpx.Client, db: Database, project: str
) -> None:
    cpu, gpu, fresh = cluster_name("cpu"), cluster_name("gpu"), cluster_name("fresh")
    heartbeat(db, cpu, gpus=0)
    r = _launch(api, project, name="gpu", cluster=cpu)
    assert r.status_code == 400, r.text
    message = r.json()["message"]
    assert "GPU" in message and cpu in message and "train" in message
    assert r.json()["details"]["resource"] == "gpu"
    # a host with a GPU but too little memory: refused naming memory
    heartbeat(db, gpu, gpus=2, memory=4 * GiB)
    r = _launch(api, project, name="gpu", cluster=gpu)
    assert r.status_code == 400 and r.json()["details"]["resource"] == "mem", r.text
    # a route with a cluster that fits, or one never seen (not checked), launches
    heartbeat(db, gpu, gpus=2, memory=64 * GiB)
    _settings(api, f"/projects/{project}/settings", {"execution_cluster": [cpu, gpu]})
    assert _placed(api, db, project, name="gpu") == (cpu, f"{cpu},{gpu}")
    ensure(db, fresh)
    assert _placed(api, db, project, name="gpu", cluster=fresh)[0] == fresh
    # a task with no GPU goes anywhere
    assert _placed(api, db, project, cluster=cpu)[0] == cpu
    assert len(api.get(f"/executions/{project}/development").json()["items"]) == 3


def test_clusters_listing(
    api: httpx.Client, db: Database, project: str, qserver: LiveServer
) -> None:
    busy, idle = cluster_name("busy"), cluster_name("idle")
    heartbeat(db, busy, cpus=8, gpus=1, running=3)
    heartbeat(db, busy, cpus=4, running=1)
    dead = heartbeat(db, busy, cpus=64, lease_s=0.001)
    ensure(db, idle)
    for _ in range(2):
        assert _launch(api, project, cluster=busy).status_code == 201
    # a viewer of another project may list them: they hold no project's data
    other = unique("o")
    api.post("/projects", json={"name": other}).raise_for_status()
    _, token = user_with_role(api, "viewer", other)
    r = httpx.get(f"{qserver.url}/api/v1/clusters", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    assert httpx.get(f"{qserver.url}/api/v1/clusters").status_code == 401
    items = {c["name"]: c for c in r.json()["items"]}
    b = items[busy]
    assert b["alive"] is True
    assert len(b["hosts"]) == 3 and {h["owner"] for h in b["hosts"] if not h["alive"]} == {dead}
    assert b["capacity"] == {"cpus": 12.0, "memory": 32 * GiB, "gpus": 1, "slots": 8}
    assert b["running"] == 4 and b["queued"] == 2
    assert b["store_url"] == f"file:///stores/{busy}"
    assert items[idle]["alive"] is False and items[idle]["hosts"] == []
    assert items[idle]["heartbeat_at"] is None
    assert "local" in items
    forget_host(db, dead)
    assert len(next(c for c in list_clusters(db) if c.name == busy).hosts) == 2


# -- failover, straight on a database ----------------------------------------------------------


@pytest.fixture(params=BACKENDS)
def fresh(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Database]:
    from host_db import fresh_database

    database = fresh_database(request.param, tmp_path)
    yield database
    database.dispose()


def _route(db: Database, pk: int, cluster: str, route: str) -> None:
    with db.session() as s:
        row = s.get(ExecutionRow, pk)
        assert row is not None
        row.cluster, row.route = cluster, route


def _state(db: Database, pk: int) -> tuple[str, str | None]:
    with db.session() as s:
        row = s.get(ExecutionRow, pk)
        assert row is not None
        return row.cluster, row.lease_owner


def _events(db: Database, pk: int) -> list[dict[str, Any]]:
    with db.session() as s:
        rows = s.scalars(
            select(EventRow).where(EventRow.execution_id == pk, EventRow.kind == MOVED_EVENT)
        ).all()
        return [msgspec.json.decode(r.payload) for r in rows]


def test_fail_over_moves_queued_and_expired_running_executions(fresh: Database) -> None:
    db = fresh
    now = time.time()
    east_host = heartbeat(db, "east", lease_s=5)
    heartbeat(db, "west", lease_s=5)
    queued, _ = add_execution(db)
    running, _ = add_execution(db, ExecutionPhase.RUNNING, owner=east_host, expires=now + 5)
    held, _ = add_execution(db, ExecutionPhase.RUNNING, owner=east_host, expires=now + 60)
    done, _ = add_execution(db, ExecutionPhase.SUCCEEDED)
    alone, _ = add_execution(db)
    for pk in (queued, running, held, done):
        _route(db, pk, "east", "east,west")
    _route(db, alone, "east", "east")
    assert fail_over(db, now) == 0  # east is live
    later = now + 10  # east's host and its 5 s leases are gone; west's host heartbeats again
    heartbeat(db, "west", lease_s=600)
    with db.engine.connect() as conn:
        assert live_clusters(conn, later) == {"west"}
    assert fail_over(db, later) == 2
    assert _state(db, queued) == ("west", None)
    assert _state(db, running) == ("west", None)  # its lease is free for west's hosts
    assert _state(db, held) == ("east", east_host)  # its lease runs: not moved yet
    assert _state(db, done)[0] == "east" and _state(db, alone)[0] == "east"
    (event,) = _events(db, running)
    assert event["from"] == "east" and event["to"] == "west"
    assert "east" in event["reason"] and "heartbeat" in event["reason"]
    assert event["lease_owner"] == east_host
    with db.session() as s:
        row = s.get(ExecutionRow, queued)
        assert row is not None and msgspec.json.decode(row.record)["cluster"] == "west"
    assert fail_over(db, later) == 0  # nothing more to move
    assert fail_over(db, now + 100) == 1  # the held lease ran out
    assert _state(db, held) == ("west", None)


def test_fail_over_goes_round_the_route_and_waits_for_a_live_cluster(fresh: Database) -> None:
    db = fresh
    now = time.time()
    for c in ("a", "b", "c"):
        ensure(db, c)
    pk, _ = add_execution(db)
    _route(db, pk, "b", "a,b,c")
    assert fail_over(db, now) == 0  # no live cluster anywhere: it stays
    heartbeat(db, "a")
    assert fail_over(db) == 1  # b never had a host; a is live: round to the route's start
    assert _state(db, pk)[0] == "a"
    (event,) = _events(db, pk)
    assert event["reason"] == "cluster b has no engine host"


def test_the_server_fails_over_by_itself(api: httpx.Client, db: Database, project: str) -> None:
    """The server's own failover loop moves an execution whose cluster's only host stops
    heartbeating to the next cluster of its route, and the move is in the execution's events."""
    dying, spare = cluster_name("dying"), cluster_name("spare")
    heartbeat(db, dying, lease_s=2.0)
    heartbeat(db, spare)
    _settings(api, f"/projects/{project}/settings", {"execution_cluster": [dying, spare]})
    r = _launch(api, project)
    assert r.status_code == 201, r.text
    name = r.json()["id"]["name"]
    assert r.json()["cluster"] == dying
    deadline = time.monotonic() + 30
    while _row(db, project, name).cluster != spare:
        assert time.monotonic() < deadline, "not moved within 30 s"
        time.sleep(0.2)
    described = api.get(f"/executions/{project}/development/{name}").json()
    assert described["cluster"] == spare
    events = api.get(f"/executions/{project}/development/{name}/events").json()["items"]
    (moved,) = [e for e in events if e["kind"] == MOVED_EVENT]
    assert moved["payload"]["from"] == dying and moved["payload"]["to"] == spare
    assert moved["actor"] == "control plane"


def test_a_relaunch_keeps_the_cluster_asked_for(
    api: httpx.Client, db: Database, project: str
) -> None:
    mine = cluster_name("mine")
    ensure(db, mine)
    r = _launch(api, project, cluster=mine)
    assert r.status_code == 201, r.text
    name = r.json()["id"]["name"]
    again = api.post(f"/executions/{project}/development/{name}/relaunch", json={})
    assert again.status_code == 201, again.text
    assert again.json()["cluster"] == mine and again.json()["spec"]["cluster"] == mine
    assert _row(db, project, again.json()["id"]["name"]).route == mine


def test_the_failover_loop_outlives_a_database_outage() -> None:
    """PostgreSQL away (every connection reset) while the failover loop runs: its passes fail
    and back off, nothing moves, and once the database is back the loop, never restarted,
    moves what it must."""
    url = pg_database()
    direct = Database(url)
    direct.upgrade()
    proxy = FlakyProxy()
    flaky = Database(url.replace(":5432/", f":{proxy.port}/"), timeout_s=2)
    proxy.down()  # before the loop's first pass, so that no connection of it outlives the reset
    stop, loop = start_failover(flaky, interval_s=0.2)
    try:
        ensure(direct, "a")
        heartbeat(direct, "b")
        pk, _ = add_execution(direct)
        _route(direct, pk, "a", "a,b")
        deadline = time.monotonic() + 30
        while proxy.refused < 3:  # the loop keeps trying
            assert time.monotonic() < deadline, "the loop stopped trying"
            time.sleep(0.1)
        assert _state(direct, pk)[0] == "a" and loop.alive
        proxy.up()
        while _state(direct, pk)[0] != "b":
            assert time.monotonic() < deadline + 30, "not moved after the outage"
            time.sleep(0.1)
        assert loop.alive and loop.deaths == 0
        assert len(_events(direct, pk)) == 1
    finally:
        stop()
        proxy.close()
        flaky.dispose()
        direct.dispose()


def test_flytekit_execution_cluster_label_routes_one_execution(
    qserver: LiveServer, db: Database, project: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from slipstream.configuration import Config
    from slipstream.remote import FlyteRemote

    label = cluster_name("label")
    ensure(db, label)
    monkeypatch.setenv("SLIPSTREAM_TOKEN", qserver.token)
    remote = FlyteRemote(
        Config.for_endpoint(qserver.url, insecure=True),
        default_project=project,
        default_domain="development",
    )
    try:
        execution = remote.execute("chain", {"x": 1}, execution_cluster_label=label)
    finally:
        remote.client.close()
    assert _row(db, project, execution.id.name).cluster == label
