"""Registration, references, promotion and code bundles, attacked by a hostile tenant on a real
server process: every id inside a body is checked like the top-level one, a version clash never
shows another project's source, referencing another project needs the launcher role there, a
bundle is served only to readers of an entity using it, a gzip bomb stops with 413 while the
server's memory stays bounded, and promotion needs read access to the source. Each refusal is
checked to have changed nothing."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
import specs
from live_server import BACKENDS, LiveServer, pg_database, start_server, unique
from test_auth import make_user

from slipstream.errors import PermissionDeniedError
from slipstream.model import Grant, Identifier, PromoteRequest, ResourceType, Role
from slipstream.server import ServerConfig, Services
from slipstream.server._auth import Principal

pytestmark = pytest.mark.timeout(180)

_UNPACKED_LIMIT = 64 * 1024 * 1024


@pytest.fixture(scope="module", params=BACKENDS)
def srv(request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    """A server (no engine) with ``production`` protected and a small unpacked limit."""
    home = Path(tempfile.mkdtemp(prefix="slipstream-walls-"))
    (home / "config.toml").write_text(f"[server]\nmax_bundle_unpacked_bytes = {_UNPACKED_LIMIT}\n")
    db = f"sqlite:///{home / 'slipstream.db'}" if request.param == "sqlite" else pg_database()
    server = start_server(
        request.param, db, home, "--protected-domains", "production", "--no-engine"
    )
    yield server
    server.stop()


def _client(server: LiveServer, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=f"{server.url}/api/v1",
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )


@pytest.fixture(scope="module")
def admin(srv: LiveServer) -> Iterator[httpx.Client]:
    with _client(srv, srv.token) as c:
        yield c


@pytest.fixture(scope="module")
def world(srv: LiveServer, admin: httpx.Client) -> dict[str, Any]:
    """Projects ``a`` and ``b``; a user per role and project; b's registered workflow and
    launch plan, whose bundle holds b's secret source."""
    a, b = unique("a"), unique("b")
    for p in (a, b):
        assert admin.post("/projects", json={"name": p}).status_code == 201
    users: dict[str, str] = {}
    for project, key in ((a, "a"), (b, "b")):
        for role in ("viewer", "launcher", "editor"):
            users[f"{role}_{key}"] = _user(admin, [(role, project, "")])
    users["editor_a_launcher_b"] = _user(admin, [("editor", a, ""), ("launcher", b, "development")])
    users["editor_a_staging"] = _user(admin, [("editor", a, "staging")])
    bundle = _bundle({"mod.py": "SECRET_OF_B = 'b-only'\n\ndef t():\n    return 1\n"})
    _upload(admin, bundle)
    wf = specs.workflow("wb", b, tasks=(specs.task("mod.t", b),))
    lp = specs.launch_plan("lpb", wf)
    r = admin.post(
        "/registrations",
        json={
            "workflows": [msgspec.to_builtins(wf)],
            "launch_plans": [msgspec.to_builtins(lp)],
            "bundle": hashlib.sha256(bundle).hexdigest(),
        },
    )
    assert r.status_code == 200, r.text
    return {"a": a, "b": b, "users": users, "bundle": hashlib.sha256(bundle).hexdigest(), "lp": lp}


def _user(admin: httpx.Client, grants: list[tuple[str, str, str]]) -> str:
    """A token of a new user holding ``grants`` (role, project, domain)."""
    (role, project, domain), *more = grants
    token = make_user(admin, role, project, domain)
    me = httpx.get(
        f"{str(admin.base_url).rstrip('/')}/whoami",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    for role, project, domain in more:
        grant = {"role": role, "project": project, "domain": domain}
        assert admin.post(f"/users/{me.json()['name']}/grants", json=grant).status_code == 200
    return token


def _bundle(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _upload(c: httpx.Client, data: bytes) -> httpx.Response:
    digest = hashlib.sha256(data).hexdigest()
    return c.put(
        f"/bundles/{digest}",
        content=data,
        headers={"Content-Type": "application/octet-stream"},
    )


def _names(admin: httpx.Client, kind: str, project: str, domain: str) -> list[str]:
    r = admin.get(f"/{kind}/{project}/{domain}")
    assert r.status_code == 200, r.text
    return sorted(f"{e['id']['name']}@{e['id']['version']}" for e in r.json()["items"])


def _everything(admin: httpx.Client, project: str) -> list[tuple[str, str, list[str]]]:
    return [
        (kind, domain, _names(admin, kind, project, domain))
        for kind in ("tasks", "workflows", "launch_plans")
        for domain in ("development", "staging", "production")
    ]


def test_closure_tasks_in_another_project_are_refused_and_nothing_is_written(
    srv: LiveServer, admin: httpx.Client, world: dict[str, Any]
) -> None:
    a, b = world["a"], world["b"]
    before = _everything(admin, b)
    with _client(srv, world["users"]["editor_a"]) as editor:
        for domain, says in (("production", "protected"), ("development", "editor role")):
            evil = specs.task("mod.evil", b, domain)
            wf = specs.workflow("wa", a, tasks=(evil,))
            r = editor.post("/registrations", json={"workflows": [msgspec.to_builtins(wf)]})
            assert r.status_code == 403, r.text
            assert says in r.json()["message"], r.text
    assert _everything(admin, b) == before
    assert _names(admin, "workflows", a, "development") == []


def test_closure_tasks_outside_the_workflows_domain_are_refused_even_for_an_editor_there(
    srv: LiveServer, admin: httpx.Client, world: dict[str, Any]
) -> None:
    b = world["b"]
    before = _everything(admin, b)
    wf = specs.workflow("wb2", b, tasks=(specs.task("mod.x", b, "staging"),))
    with _client(srv, world["users"]["editor_b"]) as editor:
        r = editor.post("/registrations", json={"workflows": [msgspec.to_builtins(wf)]})
        assert r.status_code == 400, r.text
        assert "its own project" in r.json()["message"]
        # a closure task in the protected domain: only promotion puts it there
        wf = specs.workflow("wb3", b, tasks=(specs.task("mod.y", b, "production"),))
        r = editor.post("/registrations", json={"workflows": [msgspec.to_builtins(wf)]})
        assert r.status_code == 403 and "protected" in r.json()["message"], r.text
    assert _everything(admin, b) == before


def test_a_version_clash_in_another_project_never_shows_its_source(
    srv: LiveServer, admin: httpx.Client, world: dict[str, Any]
) -> None:
    a, b = world["a"], world["b"]
    before = _everything(admin, b)
    mine = _bundle({"mod.py": "def t():\n    return 2\n"})
    digest = hashlib.sha256(mine).hexdigest()
    with _client(srv, world["users"]["editor_a"]) as editor:
        assert _upload(editor, mine).status_code in (200, 201)
        # the clash at the top level, then hidden in a closure of a workflow of a
        clash = specs.workflow("wb", b, tasks=(specs.task("mod.t", b),))
        hidden = specs.workflow("wa", a, tasks=(specs.task("mod.t", b),))
        for wf in (clash, hidden):
            r = editor.post(
                "/registrations", json={"workflows": [msgspec.to_builtins(wf)], "bundle": digest}
            )
            assert r.status_code == 403, r.text
            assert "SECRET_OF_B" not in r.text and "return 1" not in r.text
    assert _everything(admin, b) == before
    # the owner's own clash still shows what changed
    with _client(srv, world["users"]["editor_b"]) as editor:
        r = editor.post(
            "/registrations",
            json={"workflows": [msgspec.to_builtins(clash)], "bundle": digest},
        )
    assert r.status_code == 409 and "return 1" in r.text, r.text


def _referencing(a: str, lp: Any) -> Any:
    """A workflow of ``a`` whose one node calls ``lp`` through a reference stub."""
    stub = msgspec.structs.replace(
        specs.task("mod.lpb", a),
        id=Identifier(
            ResourceType.LAUNCH_PLAN, lp.id.name, lp.id.project, lp.id.domain, lp.id.version
        ),
        type="reference",
    )
    wf = specs.workflow("wref", a, tasks=(stub,))
    return msgspec.to_builtins(wf)


def test_a_reference_to_another_project_needs_the_launcher_role_there(
    srv: LiveServer, admin: httpx.Client, world: dict[str, Any]
) -> None:
    a = world["a"]
    body = {"workflows": [_referencing(a, world["lp"])]}
    with _client(srv, world["users"]["editor_a"]) as editor:
        r = editor.post("/registrations", json=body)
    assert r.status_code == 403, r.text
    assert "launcher" in r.json()["message"] and world["b"] in r.json()["message"]
    assert _names(admin, "workflows", a, "development") == []
    with _client(srv, world["users"]["editor_a_launcher_b"]) as editor:
        r = editor.post("/registrations", json=body)
    assert r.status_code == 200, r.text
    assert _names(admin, "workflows", a, "development") == ["wref@v1"]


def test_bundles_are_served_only_to_readers_of_an_entity_using_them(
    srv: LiveServer, world: dict[str, Any]
) -> None:
    digest, users = world["bundle"], world["users"]
    for who in ("viewer_a", "editor_a", "launcher_a"):
        with _client(srv, users[who]) as c:
            r = c.get(f"/bundles/{digest}")
            assert c.head(f"/bundles/{digest}").status_code == 404  # not even its existence
        assert r.status_code == 404, (who, r.text)
        assert b"SECRET_OF_B" not in r.content
    with _client(srv, users["viewer_b"]) as c:
        r = c.get(f"/bundles/{digest}")
        assert c.head(f"/bundles/{digest}").status_code == 200
    assert r.status_code == 200
    assert b"SECRET_OF_B" in gzip.decompress(r.content)


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_a_gzip_bomb_is_refused_with_413_in_bounded_memory(
    srv: LiveServer, admin: httpx.Client, world: dict[str, Any]
) -> None:
    bomb = gzip.compress(b"\0" * (300 * 1024 * 1024), 9)
    assert len(bomb) < 400 * 1024
    digest = hashlib.sha256(bomb).hexdigest()
    before = _rss_kib(srv.process.pid)
    with _client(srv, world["users"]["editor_a"]) as editor:
        r = _upload(editor, bomb)
    after = _rss_kib(srv.process.pid)
    assert r.status_code == 413, r.text
    assert "unpacks to more than" in r.json()["message"]
    assert after - before < 150 * 1024, f"RSS grew by {(after - before) // 1024} MiB"
    assert admin.head(f"/bundles/{digest}").status_code == 404
    uploads = srv.home / "uploads"
    assert not uploads.is_dir() or not os.listdir(uploads)


def test_promotion_needs_read_access_to_the_source(
    srv: LiveServer, admin: httpx.Client, world: dict[str, Any]
) -> None:
    a = world["a"]
    wf = specs.workflow("wp", a, tasks=(specs.task("mod.p", a),))
    r = admin.post("/registrations", json={"workflows": [msgspec.to_builtins(wf)]})
    assert r.status_code == 200, r.text
    before = _everything(admin, a)
    request = {
        "resource_type": "workflow",
        "project": a,
        "name": "wp",
        "version": "v1",
        "from_domain": "development",
        "to_domain": "staging",
    }
    with _client(srv, world["users"]["editor_a_staging"]) as editor:
        r = editor.post("/promotions", json=request)
    assert r.status_code == 403, r.text
    assert "viewer" in r.json()["message"] and "development" in r.json()["message"]
    assert _everything(admin, a) == before
    with _client(srv, world["users"]["editor_a"]) as editor:
        r = editor.post("/promotions", json=request)
    assert r.status_code == 201, r.text
    assert _names(admin, "workflows", a, "staging") == ["wp@v1"]


def test_the_promotion_service_itself_needs_admin_for_a_protected_domain(
    srv: LiveServer, admin: httpx.Client, world: dict[str, Any], tmp_path: Path
) -> None:
    b = world["b"]
    svc = Services.build(
        ServerConfig.load(home=tmp_path, db_url=srv.db_url, protected_domains=("production",))
    )
    editor = Principal("eve", (Grant(Role.EDITOR, b),), token_id="0123456789abcdef")
    request = PromoteRequest(ResourceType.WORKFLOW, b, "wb", "v1", "development", "production")
    try:
        with pytest.raises(PermissionDeniedError, match="admin role"):
            svc.promotions.promote(request, editor)
    finally:
        svc.db.dispose()
    assert _names(admin, "workflows", b, "production") == []
