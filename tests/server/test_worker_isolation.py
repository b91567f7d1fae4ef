"""Workers are not the server: a real server started as root runs tasks as its worker user, and a
task of project ``a`` reads neither the admin token, the database, the home, the bundles, another
project's data nor its secrets, while its own data and secrets work. The home's modes are checked
too, and a server told to run workers as itself says what that leaves open.

Skipped when not root (a server that is not root cannot switch users)."""

from __future__ import annotations

import grp
import os
import pwd
import stat
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from engine_procs import Proc, free_port

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.skipif(
        not hasattr(os, "getuid") or os.getuid() != 0, reason="switching users needs root"
    ),
]

FLOWS = Path(__file__).with_name("flows") / "isolation.py"
WORKER = "slipstream-worker"


def _server(home: Path, *extra: str, user: str = WORKER) -> tuple[Proc, str]:
    port = free_port()
    args = ["server", "--port", str(port), "--db", f"sqlite:///{home / 'slipstream.db'}",
            "--workers", "2", *extra]  # fmt: skip
    proc = Proc(args, home, {"SLIPSTREAM_WORKER_USER": user})
    proc.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        if proc.process is not None and proc.process.poll() is not None:
            break
        time.sleep(0.1)
    raise AssertionError("server did not start:\n" + proc.output())


def _run(
    url: str,
    token: str,
    project: str,
    workflow: str,
    inputs: dict[str, Any],
    ok: bool = True,
    kind: str = "workflow",
) -> Any:
    """Launch ``isolation.<workflow>`` in ``project`` and return its output (or fail); with
    ``ok`` False, its record once it ended."""
    headers = {"Authorization": f"Bearer {token}"}
    body = {
        "target": {"resource_type": kind, "project": project, "domain": "development",
                   "name": f"isolation.{workflow}"},
        "inputs": inputs,
    }  # fmt: skip
    with httpx.Client(base_url=f"{url}/api/v1", headers=headers, timeout=30) as api:
        r = api.post("/executions", json=body)
        assert r.status_code == 201, r.text
        name = r.json()["id"]["name"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            rec = api.get(f"/executions/{project}/development/{name}").json()
            if rec["phase"] in ("SUCCEEDED", "FAILED", "ABORTED", "TIMED_OUT"):
                if not ok:
                    return rec
                assert rec["phase"] == "SUCCEEDED", rec
                return rec["outputs"]["o0"]
            time.sleep(0.1)
    raise AssertionError(f"{workflow} in {project} did not finish")


def _user(api: httpx.Client, role: str, project: str) -> httpx.Client:
    name = f"{role}-{project}-{time.time_ns()}"
    assert api.post("/users", json={"name": name}).status_code == 201
    grant = {"role": role, "project": project, "domain": ""}
    assert api.post(f"/users/{name}/grants", json=grant).status_code == 200
    token = api.post("/tokens", json={"user": name, "description": "test"}).json()["token"]
    return httpx.Client(base_url=str(api.base_url), headers={"Authorization": f"Bearer {token}"})


def _define_secrets(url: str, token: str, home: Path) -> None:
    """Each project's admin defines its secret through the API; others cannot touch it."""
    headers = {"Authorization": f"Bearer {token}"}
    one = "/secrets/{}/development/db/password"
    with httpx.Client(base_url=f"{url}/api/v1", headers=headers, timeout=30) as api:
        for project in ("a", "b"):
            with _user(api, "admin", project) as admin:
                r = admin.put(one.format(project), json={"value": f"{project}-password"})
                assert r.status_code == 204, r.text
        with _user(api, "editor", "a") as editor, _user(api, "launcher", "a") as launcher:
            assert editor.get("/secrets/a/development").json() == [
                {"group": "db", "key": "password"}
            ]
            assert editor.put(one.format("a"), json={"value": "x"}).status_code == 403
            assert editor.get("/secrets/b/development").status_code == 403
            assert editor.delete(one.format("b")).status_code == 403
            assert launcher.get("/secrets/a/development").status_code == 403
        for group, key in ((".hidden", "k"), ("db", "..."), ("db", "a b")):
            bad = api.put(f"/secrets/a/development/{group}/{key}", json={"value": "x"})
            assert bad.status_code == 400, bad.text
    for project in ("a", "b"):
        path = home / "secrets" / "projects" / project / "development" / "db" / "password"
        assert path.read_text() == f"{project}-password" and _mode(path) == 0o600
    assert sorted(
        p.name for p in (home / "secrets" / "projects" / "a" / "development").iterdir()
    ) == ["db"]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_task_reads_nothing_of_the_server_nor_of_another_project(shared_tmp: Path) -> None:
    from slipstream.remote import Remote

    home = shared_tmp / "home"
    proc, url = _server(home)
    try:
        token = (home / "admin-token").read_text().strip()
        versions = {}
        for project in ("a", "b"):
            with Remote(url, project=project, domain="development", token=token) as r:
                r.create_project(project)
                versions[project] = r.register(FLOWS).version
        _define_secrets(url, token, home)
        in_b = _run(url, token, "b", "own_data", {"text": "b's data"})
        assert in_b == "b's data"
        (b_execution,) = [p for p in (home / "data" / "b" / "development").iterdir()]
        before = {p: p.read_bytes() for p in (home / "admin-token", home / "slipstream.db")}

        uid, cwd, worker_home, seen = _run(url, token, "a", "whoami", {})
        assert int(uid) == pwd.getpwnam(WORKER).pw_uid
        assert cwd == worker_home and not cwd.startswith(str(home))
        assert seen == ""
        assert _run(url, token, "a", "my_secret", {}) == "a-password"
        assert _run(url, token, "b", "my_secret", {}) == "b-password"
        assert _run(url, token, "a", "own_data", {"text": "hello"}) == "hello"
        tries = [
            home / "admin-token",
            home / "slipstream.db",
            home,
            home / "secrets",
            home / "secrets" / "projects" / "b" / "development" / "db" / "password",
            home / "bundles",
            home / "bundles.key",
            home / "data",
            home / "data" / "b",
            home / "data" / "b" / "development",
            home / "data" / "bundles",
        ]
        found = _run(url, token, "a", "try_paths", {"paths": [str(p) for p in tries]})
        assert [f.split(":")[0] for f in found] == ["denied"] * len(tries), found
        # b's bundle, even named by its digest, is not where a worker could find it
        digests = [p.name for p in (home / "data" / "bundles").iterdir()]
        guesses = [str(home / "bundles" / d.split(".")[0]) for d in digests]
        found = _run(url, token, "a", "try_paths", {"paths": guesses})
        assert all(f.startswith("denied:FileNotFound") for f in found), found
        # an eager body would run in the engine host's process, as the server: refused
        path = {"path": str(home / "admin-token")}
        rec = _run(url, token, "a", "read_in_engine", path, ok=False, kind="task")
        assert rec["phase"] == "FAILED" and "does not allow" in rec["error"]["message"], rec
        assert token not in str(rec)
        assert b_execution.is_dir()
        assert {p: p.read_bytes() for p in before} == before  # nothing changed
    finally:
        proc.stop()
    out = proc.output()
    assert "workers run as the server's user" not in out, out


def test_the_home_is_the_servers_alone(shared_tmp: Path) -> None:
    home = shared_tmp / "home"
    home.mkdir(mode=0o755)
    (home / "old.db").write_text("")
    os.chmod(home / "old.db", 0o644)  # a home made before: its modes are fixed at start
    proc, _ = _server(home)
    try:
        gid = grp.getgrnam(WORKER).gr_gid
        assert _mode(home) == 0o710 and home.stat().st_gid == gid
        for f in ("admin-token", "slipstream.db", "old.db", "bundles.key"):
            if (home / f).exists():
                assert _mode(home / f) == 0o600, f
        assert _mode(home / "secrets") == 0o700
        data = home / "data"
        assert _mode(data) == 0o2710 and data.stat().st_gid == gid
        work = [p for p in Path(tempfile.gettempdir()).glob("slipstream-work-*")]
        assert work and all(_mode(p) == 0o711 for p in work)
    finally:
        proc.stop()


def test_a_server_running_workers_as_itself_says_so(shared_tmp: Path) -> None:
    home = shared_tmp / "home"
    proc, _ = _server(home, user="root")
    try:
        assert _mode(home) == 0o700
        assert _mode(home / "admin-token") == 0o600
        assert _mode(home / "slipstream.db") == 0o600
    finally:
        proc.stop()
    assert "workers run as the server's user (root, as configured)" in proc.output()
