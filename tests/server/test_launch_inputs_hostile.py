"""A hostile tenant's inputs, on a real server process (SQLite, then PostgreSQL): projects ``a`` and
``b``, a launcher and an editor of ``a``. Each refusal is checked with its status, the input it
names, and that no execution was stored; what is allowed is launched and run to its end.

Workers run as the server's own OS user here: what is tested is the launch, not the worker's
walls (tests/server/test_worker_isolation.py tests those).
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cloudpickle
import httpx
import pytest
from live_server import (
    BACKENDS,
    LiveServer,
    child_env,
    cli_command,
    pg_database,
    start_server,
    unique,
    user_with_role,
)

from slipstream.errors import InputError
from slipstream.remote import Remote
from slipstream.types import PickleWarning

DOMAIN = "development"
MODULE = """
from dataclasses import dataclass

from slipstream import File, task, wait_for_input, workflow


@dataclass
class Point:
    x: int
    y: int
    label: str = ""


class Opaque:  # no transformer: stored as a pickle
    def __init__(self, v: int) -> None:
        self.v = v


@dataclass
class Job:
    f: File
    n: int


@task
def read_file(f: File) -> str:
    with open(f) as fh:
        return fh.read()


@task
def read_all(fs: list[File]) -> int:
    return len(fs)


@task
def run_job(j: Job) -> int:
    return j.n


@task
def unpickle(o: Opaque) -> int:
    return o.v


@task
def count(xs: list) -> int:
    return len(xs)


@task
def add(n: int, p: Point) -> int:
    return n + p.x + p.y


@workflow
def gated() -> str:
    f = wait_for_input("data", timeout=120, expected_type=File)
    return read_file(f=f)


@task
def make_file() -> File:
    with open("made.txt", "w") as fh:
        fh.write("made in a")
    return File("made.txt")
"""


@dataclass
class World:
    """The server, its two projects, their users and the registered module."""

    server: LiveServer
    a: str
    b: str
    admin: str
    launcher: str
    editor: str
    module: Any
    code: Path

    def client(self, token: str) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"}
        return httpx.Client(base_url=f"{self.server.url}/api/v1", headers=headers, timeout=30)

    @property
    def store(self) -> str:
        return (self.server.home / "data").as_uri()


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    home = Path(tempfile.mkdtemp(prefix="slipstream-inputs-"))
    db = f"sqlite:///{home / 'slipstream.db'}" if request.param == "sqlite" else pg_database()
    extra = ("--worker-user", "root") if os.geteuid() == 0 else ()
    server = start_server(request.param, db, home, *extra)
    a = unique("pa")
    b = f"{a}-x"  # a name that starts with a's: prefixes must match whole segments
    code = Path(tempfile.mkdtemp(prefix="slipstream-inputs-code-"))
    package = f"pkg_{unique('in').replace('-', '_')}"
    (code / package).mkdir()
    (code / package / "__init__.py").write_text("")
    (code / package / "flows.py").write_text(MODULE)
    with httpx.Client(base_url=f"{server.url}/api/v1", headers=server.headers, timeout=30) as admin:
        _, launcher = user_with_role(admin, "launcher", a)
        _, editor = user_with_role(admin, "editor", a)
    for project in (a, b):
        with Remote(server.url, project, DOMAIN, token=server.token) as remote:
            remote.create_project(project)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", PickleWarning)
                remote.register(code / package, version="v1")
    module = sys.modules[f"{package}.flows"]
    yield World(server, a, b, server.token, launcher, editor, module, code / package)
    server.stop()


def _launch(
    world: World, token: str, task: str, inputs: dict[str, Any], project: str = ""
) -> httpx.Response:
    project = project or world.a
    target = {
        "resource_type": "task",
        "name": f"{world.module.__name__}.{task}",
        "project": project,
        "domain": DOMAIN,
        "version": "v1",
    }
    with world.client(token) as c:
        return c.post("/executions", json={"target": target, "inputs": inputs})


def _rows(world: World, project: str = "") -> int:
    with world.client(world.admin) as c:
        r = c.get(f"/executions/{project or world.a}/{DOMAIN}", params={"limit": 500})
        assert r.status_code == 200, r.text
        return len(r.json()["items"])


def _upload(world: World, token: str, project: str, path: str, data: bytes) -> str:
    with world.client(token) as c:
        loc = c.post(f"/data/{project}/{DOMAIN}/uploads")
        assert loc.status_code == 201, loc.text
        put = c.put(f"/data/{project}/{DOMAIN}/uploads/{loc.json()['id']}/{path}", content=data)
        assert put.status_code == 201, put.text
        uri: str = put.json()["uri"]
        return uri


def _finished(world: World, token: str, name: str) -> dict[str, Any]:
    with world.client(token) as c:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            record: dict[str, Any] = c.get(f"/executions/{world.a}/{DOMAIN}/{name}").json()
            if record["phase"] in ("SUCCEEDED", "FAILED", "ABORTED", "TIMED_OUT"):
                return record
            time.sleep(0.2)
    raise AssertionError(f"execution {name} did not end")


def _outputs(world: World, name: str) -> dict[str, Any]:
    with world.client(world.admin) as c:
        r = c.get(f"/executions/{world.a}/{DOMAIN}/{name}/outputs")
        assert r.status_code == 200, r.text
        values: dict[str, Any] = r.json()["values"]
        return values


def _refused(response: httpx.Response, status: int, name: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert f"input {name!r}" in body["message"], body
    assert body["details"]["input"] == name, body
    return body


class Payload:
    """Unpickling it writes a marker file: what a launcher's code would do on a worker."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (self.marker, "w"))


def test_a_launcher_cannot_pass_a_pickle(world: World, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    evil = _upload(world, world.launcher, world.a, "v.pkl", pickle.dumps(Payload(str(marker))))
    before = _rows(world)
    body = _refused(_launch(world, world.launcher, "unpickle", {"o": {"uri": evil}}), 403, "o")
    assert "editor" in body["message"] and body["error"] == "forbidden"
    # the $pickle of a bare list is a pickle too
    marked = {"xs": {"$pickle": {"uri": evil}}}
    _refused(_launch(world, world.launcher, "count", marked), 403, "xs")
    assert _rows(world) == before
    assert not marker.exists()


def test_an_editor_may_pass_a_pickle(world: World) -> None:
    data = cloudpickle.dumps(world.module.Opaque(41))
    uri = _upload(world, world.editor, world.a, "v.pkl", data)
    made = _launch(world, world.editor, "unpickle", {"o": {"uri": uri}})
    assert made.status_code == 201, made.text
    name = made.json()["id"]["name"]
    assert _finished(world, world.editor, name)["phase"] == "SUCCEEDED"
    assert _outputs(world, name) == {"o0": 41}
    # a launcher may not relaunch it: the pickle would be his to pass
    with world.client(world.launcher) as c:
        again = c.post(f"/executions/{world.a}/{DOMAIN}/{name}/relaunch")
        _refused(again, 403, "o")
    with world.client(world.editor) as c:
        assert c.post(f"/executions/{world.a}/{DOMAIN}/{name}/relaunch").status_code == 201


def _hostile_uris(world: World) -> list[tuple[str, str]]:
    home, store = world.server.home, world.store
    theirs = _upload(world, world.admin, world.b, "x.txt", b"b's data")
    return [
        ("file:// elsewhere", (home / "admin-token").as_uri()),
        ("bare path", str(home / "admin-token")),
        ("http", f"{world.server.url}/api/v1/projects"),
        ("dot-dot", f"{store}/uploads/{world.a}/{DOMAIN}/x/../../../{world.b}/{DOMAIN}/x.txt"),
        ("percent", f"{store}/uploads/{world.a}/{DOMAIN}/%2e%2e/%2e%2e/admin-token"),
        ("another project's upload", theirs),
        ("another project's data", f"{store}/{world.b}/{DOMAIN}/e1/n0/0/outputs/o0"),
        ("the code bundles", f"{store}/bundles/0123"),
        ("the store's root", store),
        ("beside the store", f"{store}-x/uploads/{world.a}/{DOMAIN}/x.txt"),
        ("a's domain's name extended", f"{store}/uploads/{world.a}/{DOMAIN}-x/x.txt"),
    ]


def test_blobs_outside_the_project_are_refused(world: World) -> None:
    before = _rows(world)
    for why, uri in _hostile_uris(world):
        response = _launch(world, world.launcher, "read_file", {"f": {"uri": uri}})
        body = _refused(response, 400, "f")
        assert body["error"] == "bad_input", (why, body)
        # nested: in a list, in a dataclass field
        _refused(_launch(world, world.launcher, "read_all", {"fs": [{"uri": uri}]}), 400, "fs")
        job = {"j": {"f": {"uri": uri}, "n": 1}}
        _refused(_launch(world, world.launcher, "run_job", job), 400, "j")
    # an editor is held to the same: data is data
    uri = (world.server.home / "admin-token").as_uri()
    _refused(_launch(world, world.editor, "read_file", {"f": {"uri": uri}}), 400, "f")
    assert _rows(world) == before


def test_the_projects_own_uploads_and_outputs_run(world: World) -> None:
    mine = _upload(world, world.launcher, world.a, "in put.txt", b"a's data")
    made = _launch(world, world.launcher, "read_file", {"f": {"uri": mine}})
    assert made.status_code == 201, made.text
    record = _finished(world, world.launcher, made.json()["id"]["name"])
    assert record["phase"] == "SUCCEEDED", record
    assert _outputs(world, record["id"]["name"]) == {"o0": "a's data"}

    producer = _launch(world, world.launcher, "make_file", {})
    assert producer.status_code == 201, producer.text
    produced = _finished(world, world.launcher, producer.json()["id"]["name"])
    assert produced["phase"] == "SUCCEEDED", produced
    output = _outputs(world, produced["id"]["name"])["o0"]
    assert output["uri"].startswith(f"{world.store}/{world.a}/{DOMAIN}/")
    consumer = _launch(world, world.launcher, "read_file", {"f": output})
    assert consumer.status_code == 201, consumer.text
    consumed = _finished(world, world.launcher, consumer.json()["id"]["name"])
    assert consumed["phase"] == "SUCCEEDED", consumed
    assert _outputs(world, consumed["id"]["name"]) == {"o0": "made in a"}
    # a's output is not b's to read
    before = _rows(world, world.b)
    with world.client(world.admin) as c:
        target = {
            "resource_type": "task",
            "name": f"{world.module.__name__}.read_file",
            "project": world.b,
            "domain": DOMAIN,
            "version": "v1",
        }
        r = c.post("/executions", json={"target": target, "inputs": {"f": output}})
    _refused(r, 400, "f")
    assert _rows(world, world.b) == before


def test_an_admins_allowed_prefixes_are_honoured(world: World, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "x.txt").write_text("shared data")
    beside = tmp_path / "shared-x"
    beside.mkdir()
    (beside / "y.txt").write_text("not shared")
    allowed = {"allowed_input_prefixes": [shared.as_uri() + "/"]}
    settings = f"/projects/{world.a}/settings"
    with world.client(world.editor) as c:
        denied = c.put(settings, json=allowed)
        assert denied.status_code == 403 and "admin" in denied.json()["message"], denied.text
    inside = {"f": {"uri": (shared / "x.txt").as_uri()}}
    _refused(_launch(world, world.launcher, "read_file", inside), 400, "f")
    with world.client(world.admin) as c:
        assert c.put(settings, json=allowed).status_code == 200
    try:
        made = _launch(world, world.launcher, "read_file", inside)
        assert made.status_code == 201, made.text
        name = made.json()["id"]["name"]
        assert _finished(world, world.launcher, name)["phase"] == "SUCCEEDED"
        assert _outputs(world, name) == {"o0": "shared data"}
        next_door = {"f": {"uri": (beside / "y.txt").as_uri()}}
        _refused(_launch(world, world.launcher, "read_file", next_door), 400, "f")
        # the prefix is a's: b's launches are not widened
        _refused(_launch(world, world.admin, "read_file", inside, world.b), 400, "f")
    finally:
        with world.client(world.admin) as c:
            assert c.put(settings, json={"allowed_input_prefixes": []}).status_code == 200
    # the prefix withdrawn, relaunching what it let in is refused: a relaunch is checked anew
    with world.client(world.launcher) as c:
        _refused(c.post(f"/executions/{world.a}/{DOMAIN}/{name}/relaunch"), 400, "f")


def test_values_the_engine_cannot_carry_are_refused(world: World) -> None:
    before = _rows(world)
    point = {"x": 1, "y": 2}
    body = _refused(_launch(world, world.launcher, "add", {"n": 2**64, "p": point}), 400, "n")
    assert "outside the 64-bit integer range" in body["message"]
    deep = {"n": 1, "p": {"x": 1, "y": -(2**63) - 1}}
    assert "64-bit" in _refused(_launch(world, world.launcher, "add", deep), 400, "p")["message"]
    missing = _refused(_launch(world, world.launcher, "add", {"n": 1, "p": {"x": 1}}), 400, "p")
    assert "missing required field 'y'" in missing["message"]
    unknown = {"n": 1, "p": {"x": 1, "y": 2, "z": 3}}
    assert (
        "unknown field 'z'"
        in _refused(_launch(world, world.launcher, "add", unknown), 400, "p")["message"]
    )
    deep: Any = 1
    for _ in range(150):
        deep = [deep]
    nested = _refused(_launch(world, world.launcher, "count", {"xs": deep}), 400, "xs")
    assert "nested deeper than 100 levels" in nested["message"]
    target = {"resource_type": "task", "name": "x", "project": world.a, "domain": DOMAIN}
    xs = "[" * 5000 + "1" + "]" * 5000
    body = f'{{"target": {json.dumps(target)}, "inputs": {{"xs": {xs}}}}}'
    with world.client(world.launcher) as c:
        headers = {"content-type": "application/json"}
        too_deep = c.post("/executions", content=body, headers=headers)
        assert too_deep.status_code == 400, too_deep.text
        assert "nested too deeply" in too_deep.json()["message"], too_deep.text
    with Remote(world.server.url, world.a, DOMAIN, token=world.launcher) as remote:
        # refused before it is sent, with the server's message
        with pytest.raises(InputError, match=r"input 'n'.*outside the 64-bit integer range"):
            remote.execute(world.module.add, {"n": 2**64, "p": world.module.Point(1, 2)})
        by_name = f"{world.module.__name__}.add"
        with pytest.raises(InputError, match=r"input 'p'.*missing required field 'y'"):
            remote.execute(by_name, {"n": 1, "p": {"x": 1}}, version="v1")
        # literals given as they are reach the server, which refuses them the same way
        with pytest.raises(InputError, match=r"input 'n'.*outside the 64-bit integer range"):
            remote.execute(by_name, literals={"n": 2**64, "p": point}, version="v1")
        ok = remote.execute(world.module.add, {"n": 2**63 - 4, "p": world.module.Point(1, 2)})
        assert remote.wait(ok, timeout=90).phase.value == "SUCCEEDED"
    assert _rows(world) == before + 1


def test_run_remote_shows_the_servers_refusal(world: World, tmp_path: Path) -> None:
    env = child_env(tmp_path / "client-home")
    # run --remote registers first, so an editor: the data rule holds for editors too
    env.update(SLIPSTREAM_ENDPOINT=world.server.url, SLIPSTREAM_TOKEN=world.editor)
    before = _rows(world)
    flows = str(world.code / "flows.py")
    uri = f"http://127.0.0.1:1/{world.b}/secret.txt"
    done = subprocess.run(
        cli_command("run", "--remote", "-p", world.a, flows, "read_file", "--f", uri),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "input 'f'" in done.stderr and "is refused" in done.stderr, done.stderr
    assert _rows(world) == before


def test_a_signals_value_is_data_too(world: World) -> None:
    target = {
        "resource_type": "workflow",
        "name": f"{world.module.__name__}.gated",
        "project": world.a,
        "domain": DOMAIN,
        "version": "v1",
    }
    with world.client(world.launcher) as c:
        made = c.post("/executions", json={"target": target})
        assert made.status_code == 201, made.text
        name = made.json()["id"]["name"]
        signals = f"/executions/{world.a}/{DOMAIN}/{name}/signals"
        deadline = time.monotonic() + 60
        while not any(s["name"] == "data" for s in c.get(signals).json()):
            assert time.monotonic() < deadline
            time.sleep(0.2)
        secret = {"name": "data", "value": {"uri": (world.server.home / "admin-token").as_uri()}}
        refused = c.post(signals, json=secret)
        assert refused.status_code == 400, refused.text
        assert "signal 'data'" in refused.json()["message"]
        assert not any(s.get("sent") for s in c.get(signals).json())
        mine = _upload(world, world.launcher, world.a, "gate.txt", b"through the gate")
        sent = c.post(signals, json={"name": "data", "value": {"uri": mine}})
        assert sent.status_code == 201, sent.text
    assert _finished(world, world.launcher, name)["phase"] == "SUCCEEDED"
    assert _outputs(world, name) == {"o0": "through the gate"}
