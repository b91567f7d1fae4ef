"""Authentication and roles on a real server process, SQLite and PostgreSQL.

One server per backend for this module, with ``production`` protected. Users of each role get
tokens from the admin; a table of (endpoint kind, least role) is tried with every role.
"""

from __future__ import annotations

import os
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
import specs
from live_server import (
    BACKENDS,
    LiveServer,
    child_env,
    cli_command,
    pg_database,
    start_server,
    unique,
)
from sqlalchemy import create_engine, text

from slipstream.server import ServerConfig, Services
from slipstream.server._app import create_app
from slipstream.server._auth import match_rule

ROLES = ("viewer", "launcher", "editor", "admin")


@pytest.fixture(scope="module", params=BACKENDS)
def guarded(request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    """A server whose ``production`` domain is protected."""
    home = Path(tempfile.mkdtemp(prefix="slipstream-auth-"))
    db = f"sqlite:///{home / 'slipstream.db'}" if request.param == "sqlite" else pg_database()
    server = start_server(
        request.param, db, home, "--protected-domains", "production", "--no-engine"
    )
    yield server
    server.stop()


def client(server: LiveServer, token: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=f"{server.url}/api/v1", headers=headers, timeout=30)


def make_user(admin: httpx.Client, role: str | None, project: str, domain: str = "") -> str:
    """A new user with ``role`` on ``project`` (or none) and a token of theirs."""
    name = unique(role or "nobody")
    assert admin.post("/users", json={"name": name}).status_code == 201
    if role is not None:
        grant = {"role": role, "project": project, "domain": domain}
        assert admin.post(f"/users/{name}/grants", json=grant).status_code == 200
    made = admin.post("/tokens", json={"user": name, "description": "test"})
    assert made.status_code == 201, made.text
    token: str = made.json()["token"]
    return token


def registration(project: str, domain: str = "development", version: str = "v1") -> Any:
    t = specs.task("au.t", project, domain, version)
    wf = specs.workflow("au.wf", project, domain, version, tasks=(t,))
    return {"workflows": [msgspec.to_builtins(wf)]}


def test_every_route_has_a_rule(tmp_path: Path) -> None:
    app = create_app(Services.build(ServerConfig.load(home=tmp_path)))
    missing = []
    seen = 0
    for path, methods in _routes(app.routes):
        if path in ("/healthz", "/readyz"):  # the health checks need no token
            continue
        if path == "/console" or path.startswith("/console/"):
            # the console checks each page and action with the same table (guard.allowed)
            continue
        sample = path.replace("{path:path}", "n0").replace("/api/v1", "", 1)
        for key in ("{project}", "{domain}"):
            sample = sample.replace(key, "p" if key == "{project}" else "development")
        for method in methods:
            seen += 1
            rule, params, explicit = match_rule(method, _fill(sample))
            if not explicit:
                missing.append(f"{method} {path}")
            if "{project}" in path and rule.scope.value != "path" and method != "POST":
                missing.append(f"{method} {path}: project in the path but not in the rule")
            if "{project}" in path and rule.scope.value == "path":
                assert params.get("project") == "p", (method, path, params)
    assert seen >= 40
    assert not missing, "routes without a rule in server/_auth/_rules.py:\n" + "\n".join(missing)


def _fill(sample: str) -> str:
    import re

    return re.sub(r"\{[^}]+\}", "x", sample)


def _routes(routes: Any) -> Iterator[tuple[str, set[str]]]:
    for route in routes:
        if hasattr(route, "effective_route_contexts"):
            for ctx in route.effective_route_contexts():
                path = getattr(ctx, "path_format", None) or ctx.path
                yield path, set(getattr(ctx.original_route, "methods", None) or ())
        else:
            yield route.path, set(getattr(route, "methods", None) or ())


def test_unknown_write_routes_need_admin() -> None:
    rule, _, explicit = match_rule("DELETE", "/executions/p/d/x")
    assert not explicit and rule.role.value == "admin" and rule.scope.value == "global"
    rule, _, explicit = match_rule("GET", "/something/new")
    assert not explicit and rule.role.value == "viewer"


def test_401_without_a_valid_token(guarded: LiveServer) -> None:
    assert httpx.get(f"{guarded.url}/healthz").status_code == 200
    for headers in (
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic YWRtaW46YWRtaW4="},
        {"Authorization": "Bearer ss_0123456789abcdef_" + "A" * 43},
        {"Authorization": "Bearer not-a-token"},
    ):
        r = httpx.get(f"{guarded.url}/api/v1/projects", headers=headers)
        assert r.status_code == 401, (headers, r.text)
        assert r.json()["error"] == "unauthenticated"
        assert r.headers["www-authenticate"] == "Bearer"
    # also for routes that do not exist and for writes: nothing is told before authentication
    assert httpx.get(f"{guarded.url}/api/v1/nope").status_code == 401
    assert httpx.post(f"{guarded.url}/api/v1/projects", json={"name": "x"}).status_code == 401


def test_admin_token_file_is_private(guarded: LiveServer) -> None:
    path = guarded.home / "admin-token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with client(guarded, guarded.token) as admin:
        me = admin.get("/whoami").json()
    assert me["name"] == "admin" and me["grants"] == [{"role": "admin", "project": "*"}]


# (kind of endpoint, least role that may call it, request maker). A maker gets the project and
# returns (method, path, json body). Allowed calls may still fail (404, 400): never 401 or 403.
KINDS: list[tuple[str, str, Any]] = [
    ("read project", "viewer", lambda p: ("GET", f"/projects/{p}", None)),
    ("list tasks", "viewer", lambda p: ("GET", f"/tasks/{p}/development", None)),
    ("list executions", "viewer", lambda p: ("GET", f"/executions/{p}/development", None)),
    (
        "launch",
        "launcher",
        lambda p: (
            "POST",
            "/executions",
            {
                "target": {
                    "resource_type": "launch_plan",
                    "name": "nothing.here",
                    "project": p,
                    "domain": "development",
                    "version": "v1",
                }
            },
        ),
    ),
    ("abort", "launcher", lambda p: ("POST", f"/executions/{p}/development/nope/abort", {})),
    (
        "make upload location",
        "launcher",
        lambda p: ("POST", f"/data/{p}/development/uploads", None),
    ),
    (
        "upload input data",
        "launcher",
        lambda p: ("PUT", f"/data/{p}/development/uploads/{'0' * 32}/in.csv", {"a": 1}),
    ),
    ("relaunch", "launcher", lambda p: ("POST", f"/executions/{p}/development/nope/relaunch", {})),
    ("register", "editor", lambda p: ("POST", "/registrations", registration(p, version="m1"))),
    ("set settings", "editor", lambda p: ("PUT", f"/projects/{p}/settings", {})),
    (
        "promote",
        "editor",
        lambda p: (
            "POST",
            "/promotions",
            {
                "resource_type": "workflow",
                "project": p,
                "name": "nothing.here",
                "version": "v1",
                "from_domain": "development",
                "to_domain": "staging",
            },
        ),
    ),
    (
        "promote into protected",
        "admin",
        lambda p: (
            "POST",
            "/promotions",
            {
                "resource_type": "workflow",
                "project": p,
                "name": "nothing.here",
                "version": "v1",
                "from_domain": "development",
                "to_domain": "production",
            },
        ),
    ),
    # last: the admin archives the project (roles after it are refused before that matters)
    ("archive project", "admin", lambda p: ("POST", f"/projects/{p}/archive", None)),
]


def test_role_matrix(guarded: LiveServer) -> None:
    with client(guarded, guarded.token) as admin:
        project = unique("rm")
        assert admin.post("/projects", json={"name": project}).status_code == 201
        tokens = {role: make_user(admin, role, project) for role in ROLES}
        tokens["none"] = make_user(admin, None, project)
        tokens["other project's admin"] = make_user(admin, "admin", unique("elsewhere"))
    results: list[str] = []
    for role_name, token in tokens.items():
        rank = ROLES.index(role_name) if role_name in ROLES else -1
        with client(guarded, token) as c:
            for kind, least, make in KINDS:
                method, path, body = make(project)
                r = c.request(method, path, json=body)
                allowed = rank >= ROLES.index(least)
                assert r.status_code < 500, (role_name, kind, r.text)
                if allowed:
                    ok = r.status_code not in (401, 403)
                else:
                    ok = r.status_code == 403 and least in r.json()["message"]
                if not ok:
                    results.append(f"{role_name} / {kind}: {r.status_code} {r.text[:200]}")
    assert not results, "\n".join(results)


def _user_of(admin: httpx.Client, token: str) -> str:
    with httpx.Client(base_url=str(admin.base_url), timeout=30) as c:
        name: str = c.get("/whoami", headers={"Authorization": f"Bearer {token}"}).json()["name"]
        return name


def test_403_names_the_role_and_global_actions_need_a_global_admin(guarded: LiveServer) -> None:
    with client(guarded, guarded.token) as admin:
        project = unique("fb")
        admin.post("/projects", json={"name": project}).raise_for_status()
        viewer = make_user(admin, "viewer", project)
        project_admin = make_user(admin, "admin", project)
    with client(guarded, viewer) as c:
        r = c.post("/registrations", json=registration(project))
        assert r.status_code == 403
        body = r.json()
        assert body["error"] == "forbidden"
        assert "editor role" in body["message"] and project in body["message"]
        assert body["details"]["needed"] == "editor"
        assert c.get(f"/projects/{project}").status_code == 200
        assert c.get("/users").status_code == 403
    with client(guarded, project_admin) as c:
        assert c.post("/projects", json={"name": unique("x")}).status_code == 403
        assert c.post("/users", json={"name": unique("u")}).status_code == 403
        assert c.post(f"/projects/{project}/archive").status_code == 200


def test_domain_scoped_grant(guarded: LiveServer) -> None:
    with client(guarded, guarded.token) as admin:
        project = unique("ds")
        admin.post("/projects", json={"name": project}).raise_for_status()
        token = make_user(admin, "editor", project, "development")
    with client(guarded, token) as c:
        assert c.post("/registrations", json=registration(project)).status_code == 200
        r = c.post("/registrations", json=registration(project, "staging"))
        assert r.status_code == 403 and "'staging'" in r.json()["message"]
        # reading the project needs a role on some domain of it: this one has one
        assert c.get(f"/projects/{project}").status_code == 200
        assert c.put(f"/projects/{project}/settings", json={}).status_code == 403
        assert (
            c.put(f"/projects/{project}/domains/development/settings", json={}).status_code == 200
        )


def test_protected_domain_only_by_promotion(guarded: LiveServer) -> None:
    with client(guarded, guarded.token) as admin:
        project = unique("pd")
        admin.post("/projects", json={"name": project}).raise_for_status()
        editor = make_user(admin, "editor", project)
        r = admin.post("/registrations", json=registration(project, "production"))
        assert r.status_code == 403 and "protected" in r.json()["message"]
        assert admin.post("/registrations", json=registration(project)).status_code == 200
        promote = {
            "resource_type": "workflow",
            "project": project,
            "name": "au.wf",
            "version": "v1",
            "from_domain": "development",
            "to_domain": "production",
        }
        with client(guarded, editor) as c:
            refused = c.post("/promotions", json=promote)
            assert refused.status_code == 403 and "admin role" in refused.json()["message"]
            assert (
                c.post("/promotions", json={**promote, "to_domain": "staging"}).status_code == 201
            )
        done = admin.post("/promotions", json={**promote, "promoted_by": "mallory"})
        assert done.status_code == 201, done.text
        assert done.json()["promoted_by"] == "admin"
        got = admin.get(f"/workflows/{project}/production/au.wf/v1")
        assert got.status_code == 200


def test_token_lifecycle_and_expiry(guarded: LiveServer) -> None:
    with client(guarded, guarded.token) as admin:
        project = unique("tl")
        admin.post("/projects", json={"name": project}).raise_for_status()
        first = make_user(admin, "viewer", project)
        name = _user_of(admin, first)
    with client(guarded, first) as c:
        # a user makes their own tokens, not other users'
        short = c.post("/tokens", json={"description": "short", "expires_in": 1.5})
        assert short.status_code == 201, short.text
        assert c.post("/tokens", json={"user": "admin"}).status_code == 403
        listed = c.get("/tokens").json()
        assert {t["user"] for t in listed} == {name} and len(listed) == 2
        assert all("token" not in t and "secret_hash" not in t for t in listed)
        assert c.get("/tokens", params={"user": "admin"}).status_code == 403
    short_token = short.json()["token"]
    short_id = short.json()["info"]["id"]
    assert short.json()["info"]["expires_at"] > time.time()
    with client(guarded, short_token) as c:
        assert c.get("/whoami").json()["name"] == name
        time.sleep(1.7)
        r = c.get("/whoami")
        assert r.status_code == 401 and "expired" in r.json()["message"]
    # revocation holds at once, even for a token used a moment ago (the cache is emptied)
    with client(guarded, first) as c:
        assert c.get(f"/projects/{project}").status_code == 200
        first_id = first.split("_")[1]
        assert c.delete(f"/tokens/{first_id}").json()["revoked_at"] is not None
        r = c.get(f"/projects/{project}")
        assert r.status_code == 401 and "revoked" in r.json()["message"]
    with client(guarded, guarded.token) as admin:
        everyone = admin.get("/tokens", params={"user": name}).json()
        assert {t["id"] for t in everyone} == {first_id, short_id}
        # tokens are stored hashed: the secret is in no column of the database
    assert _db_rows(guarded, "SELECT secret_hash FROM tokens")
    for (value,) in _db_rows(guarded, "SELECT secret_hash FROM tokens"):
        assert value not in first and value not in short_token


def test_grant_revoke_takes_effect(guarded: LiveServer) -> None:
    with client(guarded, guarded.token) as admin:
        project = unique("gr")
        admin.post("/projects", json={"name": project}).raise_for_status()
        token = make_user(admin, "editor", project)
        name = _user_of(admin, token)
        with client(guarded, token) as c:
            assert c.post("/registrations", json=registration(project)).status_code == 200
            r = admin.delete(f"/users/{name}/grants", params={"project": project})
            assert r.status_code == 200 and r.json().get("grants", []) == []
            assert c.get(f"/projects/{project}").status_code == 403
        assert admin.delete(f"/users/{name}/grants", params={"project": project}).status_code == 404
        bad = admin.post(f"/users/{name}/grants", json={"role": "owner", "project": project})
        assert bad.status_code == 400
        assert admin.post("/users", json={"name": name}).status_code == 409
        assert admin.post("/users", json={"name": "Bad Name"}).status_code == 400


def test_every_write_is_audited_with_its_caller(guarded: LiveServer) -> None:
    with client(guarded, guarded.token) as admin:
        project = unique("au")
        admin.post("/projects", json={"name": project}).raise_for_status()
        token = make_user(admin, "editor", project)
        name = _user_of(admin, token)
    with client(guarded, token) as c:
        assert c.post("/registrations", json=registration(project)).status_code == 200
        assert (
            c.put(f"/projects/{project}/settings", json={"max_parallelism": 2}).status_code == 200
        )
        assert c.post("/registrations", json=registration(project, "staging")).status_code == 200
        # refused writes change nothing, the audit log included
        assert c.post("/projects", json={"name": unique("no")}).status_code == 403
    rows = _db_rows(
        guarded,
        "SELECT caller, method, path, status FROM audit_log WHERE caller = :c ORDER BY id",
        c=name,
    )
    assert [tuple(r) for r in rows] == [
        (name, "POST", "/api/v1/registrations", 200),
        (name, "PUT", f"/api/v1/projects/{project}/settings", 200),
        (name, "POST", "/api/v1/registrations", 200),
    ]
    admin_rows = _db_rows(
        guarded, "SELECT path FROM audit_log WHERE caller = 'admin' AND path = '/api/v1/projects'"
    )
    assert admin_rows


def _db_rows(server: LiveServer, sql: str, **params: Any) -> list[Any]:
    engine = create_engine(server.db_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql), params))
    finally:
        engine.dispose()


def test_token_survives_restart_and_no_auth_rules(tmp_path: Path) -> None:
    home = tmp_path / "home"
    db = f"sqlite:///{home / 'slipstream.db'}"
    first = start_server("sqlite", db, home, "--no-engine")
    token = first.token
    assert first.stop() == 0
    again = start_server("sqlite", db, home, "--no-engine")
    try:
        assert again.token == token
        r = httpx.get(f"{again.url}/api/v1/whoami", headers=again.headers)
        assert r.json()["name"] == "admin"
    finally:
        again.stop()
    refused = subprocess.run(
        cli_command("server", "--no-auth", "--host", "0.0.0.0", "--port", "0", "--home", str(home)),
        capture_output=True,
        text=True,
        env=child_env(home),
        timeout=60,
    )
    assert refused.returncode == 1
    assert "--no-auth is only allowed on a loopback address" in refused.stdout + refused.stderr
    open_server = start_server("sqlite", db, home, "--no-auth", "--no-engine")
    try:
        assert any("warning: authentication is off" in line for line in open_server.output)
        r = httpx.get(f"{open_server.url}/api/v1/whoami")
        assert r.status_code == 200 and r.json()["name"] == "anonymous"
        # still no other site's pages
        r = httpx.get(f"{open_server.url}/api/v1/whoami", headers={"Origin": "http://evil.test"})
        assert r.status_code == 403
    finally:
        open_server.stop()


def test_remote_uses_the_home_token(guarded: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    from slipstream.errors import AuthenticationError
    from slipstream.remote import Remote

    monkeypatch.delenv("SLIPSTREAM_TOKEN", raising=False)
    monkeypatch.setenv("SLIPSTREAM_HOME", str(guarded.home))
    with Remote(guarded.url, "x") as remote:
        assert remote.access.whoami().name == "admin"
    monkeypatch.setenv("SLIPSTREAM_HOME", os.fspath(Path(tempfile.mkdtemp())))
    with Remote(guarded.url, "x") as remote, pytest.raises(AuthenticationError) as e:
        remote.access.whoami()
    assert "needs a token" in str(e.value)


def test_console_writes_are_audited_and_cross_site_posts_refused(guarded: LiveServer) -> None:
    import re

    def csrf(html: str) -> dict[str, str]:
        found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
        assert found is not None, html[:300]
        return {"csrf": found.group(1)}

    own = {"Origin": guarded.url}
    with httpx.Client(base_url=guarded.url, timeout=30) as browser:
        form = {
            "token": guarded.token,
            "next": "/console",
            **csrf(browser.get("/console/login").text),
        }
        login = browser.post("/console/login", data=form, headers=own)
        assert login.status_code == 303 and "slipstream_session" in login.headers["set-cookie"]
        token = csrf(browser.get("/console/projects").text)
        forged = browser.post(
            "/console/logout", data=token, headers={"Origin": "http://evil.example"}
        )
        assert forged.status_code == 403
        assert browser.post("/console/logout", data=token, headers=own).status_code == 303
    rows = _db_rows(
        guarded, "SELECT caller, status FROM audit_log WHERE path = '/console/logout' ORDER BY id"
    )
    assert [tuple(r) for r in rows][-1:] == [("admin", 303)]


def test_server_config_refuses_unsafe_settings(tmp_path: Path) -> None:
    from slipstream.errors import ConfigError
    from slipstream.server._config import is_loopback

    assert all(is_loopback(h) for h in ("127.0.0.1", "127.9.9.9", "::1", "[::1]", "localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "10.0.0.1", "example.com"))
    for host in ("0.0.0.0", "192.168.1.2", "::"):
        with pytest.raises(ConfigError, match="only allowed on a loopback address"):
            ServerConfig.load(home=tmp_path, host=host, auth=False, env={})
    assert not ServerConfig.load(home=tmp_path, auth=False, env={}).auth
    with pytest.raises(ConfigError, match="protected domain 'prod'"):
        ServerConfig.load(home=tmp_path, protected_domains=("prod",), env={})
    (tmp_path / "config.toml").write_text("[server]\nmax_json_bytes = -1\n")
    with pytest.raises(ConfigError, match="max_json_bytes must be a positive number"):
        ServerConfig.load(home=tmp_path, env={})
