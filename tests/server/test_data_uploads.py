"""Data uploads (``/api/v1/data/{project}/{domain}/uploads``) on a real server process, SQLite and
PostgreSQL: a launcher gets a location in the server's store and puts blobs under it; anyone
less is refused; paths that could leave the location are refused; bodies past the limit are
refused while they stream, leaving nothing behind; writes are audited."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from live_server import BACKENDS, LiveServer, pg_database, start_server, unique, user_with_role
from sqlalchemy import create_engine, text

MAX_UPLOAD = 64 * 1024


@pytest.fixture(scope="module", params=BACKENDS)
def server(request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    home = Path(tempfile.mkdtemp(prefix="slipstream-uploads-"))
    (home / "config.toml").write_text(f"[server]\nmax_upload_bytes = {MAX_UPLOAD}\n")
    db = f"sqlite:///{home / 'slipstream.db'}" if request.param == "sqlite" else pg_database()
    live = start_server(request.param, db, home, "--no-engine")
    yield live
    live.stop()


def client(server: LiveServer, token: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=f"{server.url}/api/v1", headers=headers, timeout=30)


@pytest.fixture
def admin(server: LiveServer) -> Iterator[httpx.Client]:
    with client(server, server.token) as c:
        yield c


@pytest.fixture
def project(admin: httpx.Client) -> str:
    name = unique("up")
    assert admin.post("/projects", json={"name": name}).status_code == 201
    return name


def user(admin: httpx.Client, role: str, project: str) -> tuple[str, str]:
    """A new user with ``role`` on ``project``: their name and a token."""
    return user_with_role(admin, role, project)


def location(c: httpx.Client, project: str) -> dict[str, Any]:
    r = c.post(f"/data/{project}/development/uploads")
    assert r.status_code == 201, r.text
    found: dict[str, Any] = r.json()
    return found


def test_a_launcher_uploads_into_the_servers_store(
    server: LiveServer, admin: httpx.Client, project: str
) -> None:
    name, token = user(admin, "launcher", project)
    with client(server, token) as c:
        loc = location(c, project)
        store = (server.home / "data").as_uri()
        assert loc["prefix"] == f"{store}/uploads/{project}/development/{loc['id']}"
        base = f"/data/{project}/development/uploads/{loc['id']}"
        r = c.put(f"{base}/1-abc/sales%20report.csv", content=b"a,b\n1,2\n")
        assert r.status_code == 201, r.text
        assert r.json() == {"uri": f"{loc['prefix']}/1-abc/sales report.csv", "size": 8}
        stored = server.home / "data" / "uploads" / project / "development" / loc["id"]
        assert (stored / "1-abc" / "sales report.csv").read_bytes() == b"a,b\n1,2\n"
        # blobs are never overwritten
        again = c.put(f"{base}/1-abc/sales%20report.csv", content=b"other")
        assert again.status_code == 409, again.text
        assert (stored / "1-abc" / "sales report.csv").read_bytes() == b"a,b\n1,2\n"
    rows = _db_rows(
        server,
        "SELECT method, path, status FROM audit_log WHERE caller = :c ORDER BY id",
        c=name,
    )
    assert [tuple(r) for r in rows] == [
        ("POST", f"/api/v1/data/{project}/development/uploads", 201),
        ("PUT", f"{'/api/v1'}{base}/1-abc/sales report.csv", 201),
    ]


def test_uploads_need_a_launcher_of_the_project(
    server: LiveServer, admin: httpx.Client, project: str
) -> None:
    loc = location(admin, project)
    put = f"/data/{project}/development/uploads/{loc['id']}/x.csv"
    with client(server, None) as anonymous:
        assert anonymous.post(f"/data/{project}/development/uploads").status_code == 401
        assert anonymous.put(put, content=b"x").status_code == 401
    _, viewer = user(admin, "viewer", project)
    _, elsewhere = user(admin, "launcher", unique("other"))
    for token in (viewer, elsewhere):
        with client(server, token) as c:
            made = c.post(f"/data/{project}/development/uploads")
            assert made.status_code == 403 and "launcher" in made.json()["message"]
            r = c.put(put, content=b"x")
            assert r.status_code == 403 and "launcher" in r.json()["message"], r.text
    assert not (server.home / "data" / "uploads" / project / "development" / loc["id"]).exists()


@pytest.mark.parametrize(
    "path",
    [
        "%2E%2E/%2E%2E/escaped.txt",
        "a/%2E%2E/b.txt",
        "%2E/a.txt",
        "a//b.txt",
        "/etc/x.txt",
        "a%5Cb.txt",
        "a%09b.txt",
        "x" * 300,
        "%C3%A9" * 200,
    ],
)
def test_paths_that_leave_the_location_are_refused(
    server: LiveServer, admin: httpx.Client, project: str, path: str
) -> None:
    loc = location(admin, project)
    r = admin.put(f"/data/{project}/development/uploads/{loc['id']}/{path}", content=b"x")
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "invalid_request"
    assert not (server.home / "data" / "uploads" / project / "development" / loc["id"]).exists()
    assert not list((server.home / "data").rglob("escaped.txt"))


def test_a_newline_in_a_path_is_refused(admin: httpx.Client, project: str) -> None:
    loc = location(admin, project)
    r = admin.put(f"/data/{project}/development/uploads/{loc['id']}/a%0Ab.txt", content=b"x")
    assert r.status_code in (400, 404), r.text  # the router's path pattern stops at a newline


def test_bad_ids_projects_and_domains(admin: httpx.Client, project: str) -> None:
    r = admin.put(f"/data/{project}/development/uploads/not-an-id/x.csv", content=b"x")
    assert r.status_code == 400 and "upload id" in r.json()["message"]
    assert admin.post(f"/data/{project}/nowhere/uploads").status_code == 400
    assert admin.post(f"/data/{unique('none')}/development/uploads").status_code == 404
    loc = location(admin, project)
    assert admin.post(f"/projects/{project}/archive").status_code == 200
    assert admin.post(f"/data/{project}/development/uploads").status_code == 409
    r = admin.put(f"/data/{project}/development/uploads/{loc['id']}/x.csv", content=b"x")
    assert r.status_code == 409 and "archived" in r.json()["message"]


def test_a_body_past_the_limit_is_413_and_leaves_nothing(
    server: LiveServer, admin: httpx.Client, project: str
) -> None:
    loc = location(admin, project)
    base = f"/data/{project}/development/uploads/{loc['id']}"
    declared = admin.put(f"{base}/big.bin", content=b"x" * (MAX_UPLOAD + 1))
    assert declared.status_code == 413, declared.text

    def chunks() -> Iterator[bytes]:  # no Content-Length: refused while it streams
        for _ in range(40):
            yield b"y" * 8192

    streamed = admin.put(f"{base}/big.bin", content=chunks())
    assert streamed.status_code == 413, streamed.text
    assert admin.put(f"{base}/small.bin", content=b"z" * MAX_UPLOAD).status_code == 201
    stored = server.home / "data" / "uploads" / project / "development" / loc["id"]
    assert sorted(p.name for p in stored.iterdir()) == ["small.bin"]
    assert not [p for p in (server.home / "uploads").iterdir() if ".upload-" in p.name]


def _db_rows(server: LiveServer, sql: str, **params: Any) -> list[Any]:
    engine = create_engine(server.db_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql), params))
    finally:
        engine.dispose()
