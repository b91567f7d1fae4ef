"""Lineage across executions on a real server process (SQLite, then PostgreSQL).

Project ``a`` makes a file (``wf1``), a second execution reads it and writes a copy (``wf2``),
and a cached task is run twice; project ``b`` reads ``a``'s file through an admin's allowed
prefix. Asked as each project's viewer, lineage shows who made a blob (execution, node, attempt,
code version, cache entry) and who read it, and a step in the other project only as hidden.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from live_server import LiveServer, child_env, cli_command, pg_database, unique, user_with_role
from sqlalchemy import func, inspect, select

from slipstream.model import Lineage
from slipstream.remote import Remote
from slipstream.server import Database

DOMAIN = "development"
MODULE = """
import pandas as pd

from slipstream import File, task, workflow


@task
def make_file(text: str) -> File:
    with open("made.txt", "w") as fh:
        fh.write(text)
    return File("made.txt")


@task(cache=True, cache_version="1")
def make_cached(text: str) -> File:
    with open("cached.txt", "w") as fh:
        fh.write(text)
    return File("cached.txt")


@task
def copy_file(f: File) -> File:
    with open(f) as src, open("copy.txt", "w") as dst:
        dst.write(src.read())
    return File("copy.txt")


@workflow
def wf1(text: str) -> File:
    return make_file(text=text)


@workflow
def wf2(f: File) -> File:
    return copy_file(f=f)


@workflow
def cached(text: str) -> File:
    return make_cached(text=text)


@task
def make_frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({"x": range(n)})


@task
def count_rows(df: pd.DataFrame) -> int:
    return len(df)


@workflow
def frames(n: int) -> int:
    return count_rows(df=make_frame(n=n))
"""


@dataclass
class World:
    """The server, projects ``a`` and ``b``, a viewer of each, and what ran."""

    server: LiveServer
    module: str
    a: str
    b: str
    viewer_a: str
    viewer_b: str
    made: str = ""
    """The file wf1 made in a."""
    producer: str = ""
    consumer: str = ""
    copy: str = ""
    """The copy wf2 made in a."""
    reader_b: str = ""

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token or self.server.token}"}
        return httpx.Client(base_url=f"{self.server.url}/api/v1", headers=headers, timeout=30)


def _launch(world: World, project: str, workflow: str, inputs: dict[str, Any]) -> str:
    target = {
        "resource_type": "workflow",
        "name": f"{world.module}.{workflow}",
        "project": project,
        "domain": DOMAIN,
        "version": "v1",
    }
    with world.client() as c:
        made = c.post("/executions", json={"target": target, "inputs": inputs})
        assert made.status_code == 201, made.text
        name: str = made.json()["id"]["name"]
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            record = c.get(f"/executions/{project}/{DOMAIN}/{name}").json()
            if record["phase"] in ("SUCCEEDED", "FAILED", "ABORTED", "TIMED_OUT"):
                assert record["phase"] == "SUCCEEDED", record
                return name
            time.sleep(0.2)
    raise AssertionError(f"execution {name} did not end")


def _output(world: World, project: str, name: str) -> str:
    with world.client() as c:
        r = c.get(f"/executions/{project}/{DOMAIN}/{name}/outputs")
        assert r.status_code == 200, r.text
        uri: str = r.json()["values"]["o0"]["uri"]
        return uri


@pytest.fixture(scope="module")
def world(server: LiveServer) -> Iterator[World]:
    code = Path(tempfile.mkdtemp(prefix="slipstream-lineage-code-"))
    package = f"pkg_{unique('lin').replace('-', '_')}"
    (code / package).mkdir()
    (code / package / "__init__.py").write_text("")
    (code / package / "flows.py").write_text(MODULE)
    a, b = unique("la"), unique("lb")
    for project in (a, b):
        with Remote(server.url, project, DOMAIN, token=server.token) as remote:
            remote.create_project(project)
            remote.register(code / package, version="v1")
    with httpx.Client(base_url=f"{server.url}/api/v1", headers=server.headers, timeout=30) as c:
        _, viewer_a = user_with_role(c, "viewer", a)
        _, viewer_b = user_with_role(c, "viewer", b)
    world = World(server, f"{package}.flows", a, b, viewer_a, viewer_b)
    world.producer = _launch(world, a, "wf1", {"text": "hello"})
    world.made = _output(world, a, world.producer)
    world.consumer = _launch(world, a, "wf2", {"f": {"uri": world.made}})
    world.copy = _output(world, a, world.consumer)
    store = (server.home / "data").as_uri()
    with world.client() as c:
        allowed = {"allowed_input_prefixes": [f"{store}/{a}/{DOMAIN}/"]}
        assert c.put(f"/projects/{b}/settings", json=allowed).status_code == 200
    world.reader_b = _launch(world, b, "wf2", {"f": {"uri": world.made}})
    yield world


def _lineage(world: World, token: str | None = None, **params: Any) -> httpx.Response:
    with world.client(token) as c:
        return c.get("/lineage", params=params)


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _steps(blob: dict[str, Any], side: str) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = blob.get(side, [])
    return steps


def test_the_producer_and_the_consumers_of_a_file(world: World) -> None:
    body = _ok(_lineage(world, world.viewer_a, uri=world.made))
    assert body["depth"] == 1
    [blob] = body["blobs"]
    assert blob["uri"] == world.made
    [made_by] = _steps(blob, "producers")
    assert made_by["execution"] == {"project": world.a, "domain": DOMAIN, "name": world.producer}
    assert made_by["node"] == "n0" and made_by["attempt"] == 1
    assert made_by["task"] == f"{world.module}.make_file"
    assert made_by["code_version"] == f"{world.module}.wf1@v1"
    assert made_by["phase"] == "SUCCEEDED" and world.made in made_by["outputs"]
    readers = {
        (s["execution"]["name"], s.get("node", ""))
        for s in _steps(blob, "consumers")
        if not s.get("hidden")
    }
    assert (world.consumer, "") in readers  # the execution's own input
    assert (world.consumer, "n0") in readers  # and the node that read it
    # b's reader is in a project a's viewer may not read: hidden, with no names
    hidden = [s for s in _steps(blob, "consumers") if s.get("hidden")]
    assert hidden == [{"hidden": True}]
    assert world.b not in json.dumps(body) and world.reader_b not in json.dumps(body)


def test_depth_follows_the_producers_inputs(world: World) -> None:
    one = _ok(_lineage(world, world.viewer_a, uri=world.copy))
    assert [b["uri"] for b in one["blobs"]] == [world.copy]
    [copied_by] = _steps(one["blobs"][0], "producers")
    assert copied_by["execution"]["name"] == world.consumer and copied_by["inputs"] == [world.made]
    two = _ok(_lineage(world, world.viewer_a, uri=world.copy, depth=2))
    assert [(b["uri"], b["depth"]) for b in two["blobs"]] == [(world.copy, 0), (world.made, 1)]
    [made_by] = _steps(two["blobs"][1], "producers")
    assert made_by["execution"]["name"] == world.producer
    # downstream from the first file: its readers' outputs
    down = _ok(_lineage(world, world.viewer_a, uri=world.made, depth=2))
    assert world.copy in [b["uri"] for b in down["blobs"]]


def test_a_node_as_the_subject(world: World) -> None:
    execution = f"{world.a}/{DOMAIN}/{world.consumer}"
    body = _ok(_lineage(world, world.viewer_a, execution=execution, node="n0"))
    assert body["subject"] == f"{execution}/n0"
    assert body["node"]["inputs"] == [world.made] and body["node"]["outputs"] == [world.copy]
    assert {b["uri"] for b in body["blobs"]} == {world.made, world.copy}
    with Remote(world.server.url, world.a, DOMAIN, token=world.viewer_a) as remote:
        found = remote.lineage(execution=world.consumer, node="n0", depth=2)
        assert isinstance(found, Lineage) and found.node is not None
        assert found.node.task == f"{world.module}.copy_file"
        assert remote.lineage(world.made).blobs[0].producers[0].node == "n0"


def test_cached_outputs_show_the_cache_entry(world: World) -> None:
    first = _launch(world, world.a, "cached", {"text": "same"})
    second = _launch(world, world.a, "cached", {"text": "same"})
    uri = _output(world, world.a, second)
    assert uri == _output(world, world.a, first)  # the hit gives the same blob
    [blob] = _ok(_lineage(world, world.viewer_a, uri=uri))["blobs"]
    by_name = {s["execution"]["name"]: s for s in _steps(blob, "producers")}
    assert by_name[first]["cache"] == "POPULATED" and by_name[first]["attempt"] == 1
    assert by_name[second]["cache"] == "HIT"
    source = f"{world.a}/{DOMAIN}/{first}"
    assert by_name[second]["cache_entry"].endswith(f" from {source}")
    assert by_name[first]["cache_entry"] == by_name[second]["cache_entry"]


def _executions(world: World) -> int:
    db = Database(world.server.db_url)
    try:
        from slipstream.server._database import ExecutionRow, LineageRow

        with db.session() as s:
            return int(s.scalar(select(func.count()).select_from(ExecutionRow)) or 0) + int(
                s.scalar(select(func.count()).select_from(LineageRow)) or 0
            )
    finally:
        db.dispose()


def test_another_projects_steps_are_hidden(world: World) -> None:
    before = _executions(world)
    body = _ok(_lineage(world, world.viewer_b, uri=world.made))
    [blob] = body["blobs"]
    assert _steps(blob, "producers") == [{"hidden": True}]
    mine = [s for s in _steps(blob, "consumers") if not s.get("hidden")]
    assert {s["execution"]["name"] for s in mine} == {world.reader_b}
    assert _steps(blob, "consumers")[-1] == {"hidden": True}
    text = json.dumps(body).replace(world.made, "")  # the URI asked about names its own path
    for secret in (world.a, world.producer, world.consumer, "make_file"):
        assert secret not in text
    # deeper, the walk does not go through what is hidden
    deep = _ok(_lineage(world, world.viewer_b, uri=world.made, depth=5))
    assert world.a not in json.dumps(deep).replace(world.made, "")
    # a node of a's is refused to b's viewer outright
    refused = _lineage(
        world, world.viewer_b, execution=f"{world.a}/{DOMAIN}/{world.consumer}", node="n0"
    )
    assert refused.status_code == 403, refused.text
    assert world.copy not in refused.text
    assert _executions(world) == before


def test_a_dataframe_between_two_nodes(world: World) -> None:
    name = _launch(world, world.a, "frames", {"n": 3})
    execution = f"{world.a}/{DOMAIN}/{name}"
    body = _ok(_lineage(world, world.viewer_a, execution=execution, node="n0"))
    [frame] = body["node"]["outputs"]
    [blob] = body["blobs"]
    assert blob["uri"] == frame
    [reader] = _steps(blob, "consumers")
    assert reader["node"] == "n1" and reader["task"] == f"{world.module}.count_rows"
    [made_by] = _steps(_ok(_lineage(world, world.viewer_a, uri=frame))["blobs"][0], "producers")
    assert made_by["execution"]["name"] == name and made_by["node"] == "n0"


@pytest.mark.parametrize(
    "params",
    [
        {"uri": "not a uri"},
        {"uri": "s3://bucket/../x"},
        {"uri": "s3://bucket/x", "depth": 0},
        {"uri": "s3://bucket/x", "depth": 11},
        {"uri": "s3://bucket/x", "node": "n0"},
        {"execution": "a/b", "node": "n0"},
        {"execution": "a/b/c"},
        {},
    ],
)
def test_bad_questions_are_400(world: World, params: dict[str, Any]) -> None:
    before = _executions(world)
    response = _lineage(world, world.viewer_a, **params)
    assert response.status_code == 400, response.text
    assert _executions(world) == before


def test_an_unknown_node_is_404(world: World) -> None:
    execution = f"{world.a}/{DOMAIN}/{world.consumer}"
    assert _lineage(world, world.viewer_a, execution=execution, node="n9").status_code == 404


def _cli(world: World, token: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = child_env(world.server.home)
    env["SLIPSTREAM_TOKEN"] = token
    argv = [*args, "--endpoint", world.server.url, "--project", world.a, "--domain", DOMAIN]
    return subprocess.run(
        cli_command("lineage", *argv), capture_output=True, text=True, env=env, timeout=60
    )


def test_the_cli(world: World) -> None:
    shown = _cli(world, world.viewer_a, world.copy, "--depth", "2")
    assert shown.returncode == 0, shown.stderr
    out = " ".join(shown.stdout.split())
    assert "made by" in out and world.producer in out and world.consumer in out
    assert "copy_file" in out and "make_file" in out
    as_json = _cli(world, world.viewer_a, world.copy, "--json")
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout)["blobs"][0]["uri"] == world.copy
    node = _cli(world, world.viewer_a, f"{world.consumer}/n0", "--json")
    assert node.returncode == 0, node.stderr
    assert json.loads(node.stdout)["node"]["outputs"] == [world.copy]
    for bad in (("nonsense",), (world.copy, "--depth", "0"), ("s3://bucket/../x",)):
        done = _cli(world, world.viewer_a, *bad)
        assert done.returncode == 2, (bad, done.stdout, done.stderr)
    missing = _cli(world, world.viewer_a, f"{world.consumer}/n7")
    assert missing.returncode == 1 and "n7" in missing.stderr


def _console(world: World, token: str) -> Any:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "console"))
    from console_client import ConsoleClient

    return ConsoleClient(world.server.url, token)


def test_the_console_panel_links_both_ways(world: World) -> None:
    a = f"/console/executions/{world.a}/{DOMAIN}"
    with _console(world, world.viewer_a) as browser:
        page = browser.get(f"{a}/{world.consumer}/node", params={"path": "n0"})
        assert page.status_code == 200 and 'id="node-lineage"' in page.text
        read = browser.get(f"{a}/{world.consumer}/lineage", params={"path": "n0"})
        assert read.status_code == 200, read.text
        assert world.made in read.text  # what it read, and the node that made it
        assert f'href="{a}/{world.producer}?node=n0"' in read.text
        made = browser.get(f"{a}/{world.producer}/lineage", params={"path": "n0"})
        assert made.status_code == 200, made.text
        assert f'href="{a}/{world.consumer}?node=n0"' in made.text  # and back
        assert "hidden" in made.text and world.b not in made.text
    with _console(world, world.viewer_b) as browser:
        refused = browser.get(f"{a}/{world.producer}/lineage", params={"path": "n0"})
        assert refused.status_code == 403, refused.text
        assert world.consumer not in refused.text


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_upgrade_from_an_older_database(backend: str, tmp_path: Path) -> None:
    """A database made before the lineage index gets it, and its rows go with their execution."""
    from sqlalchemy import MetaData, Table, delete, insert

    from slipstream.server._database import ExecutionRow, LineageRow, ProjectRow

    url = f"sqlite:///{tmp_path / 'old.db'}" if backend == "sqlite" else pg_database()
    db = Database(url)
    try:
        db.upgrade("0006")
        with db.engine.begin() as conn:
            conn.execute(insert(ProjectRow), [{"name": "p", "created_at": 0.0}])
            row = {
                "project": "p",
                "domain": DOMAIN,
                "name": "e1",
                "phase": "SUCCEEDED",
                "target_type": "workflow",
                "target_name": "wf",
                "target_version": "v1",
                "record": "{}",
                "created_at": 0.0,
                "updated_at": 0.0,
            }
            old = Table("executions", MetaData(), autoload_with=conn)  # as 0006 made it
            conn.execute(insert(old), [row])
        db.upgrade()
        with db.engine.connect() as conn:
            assert "lineage" in inspect(conn).get_table_names()
        with db.engine.begin() as conn:
            pk = conn.execute(select(ExecutionRow.id)).scalar_one()
            lineage = {"execution_id": pk, "node": "n0", "role": "output", "uri_key": "k"}
            conn.execute(insert(LineageRow), [{**lineage, "uri": "s3://b/x", "at": 0.0}])
            conn.execute(delete(ExecutionRow).where(ExecutionRow.id == pk))
            assert conn.execute(select(func.count()).select_from(LineageRow)).scalar_one() == 0
    finally:
        db.dispose()
