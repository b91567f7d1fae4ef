"""Retention and garbage collection, on SQLite and PostgreSQL.

The collector is driven directly over a real database and a store in a temporary folder
(policies, protected domains, what stays pointed at, the grace period, cache entries' expiry),
then through a real server process: ``slipstream gc`` over HTTP with real runs, and a server
killed with SIGKILL at random points of collections, after which the next collections finish
the job and nothing kept is lost.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from live_server import (
    LiveServer,
    child_env,
    cli_command,
    pg_database,
    start_server,
    unique,
    user_with_role,
)
from retention_data import DAY, add_cache_entry, blob_input, make_execution, rows_of
from sqlalchemy import func, select, update

from slipstream.errors import PermissionDeniedError, ValidationError
from slipstream.model import (
    ExecutionPhase,
    GcRequest,
    Grant,
    RetentionPolicy,
    Role,
    Settings,
)
from slipstream.remote import Remote
from slipstream.server import Database
from slipstream.server._auth import Principal
from slipstream.server._database import AuditRow, CacheEntryRow, CollectedPrefixRow, ExecutionRow
from slipstream.server._projects import ProjectService, SettingsService
from slipstream.server._retention import Collector, start_collector
from slipstream.storage import open_store

DOMAINS = ("development", "staging", "production")
P = "proj"


def _collector(
    db: Database, store_url: str, grace_s: float = 0.0, clock: Callable[[], float] = time.time
) -> Collector:
    return Collector(db, ProjectService(db, DOMAINS), store_url, ("production",), grace_s, clock)


class _Clock:
    """A collection's "now", moved by hand: a grace period passes exactly when a test says."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def _policy(db: Database, domain: str = "", **fields: object) -> None:
    policy = msgspec.convert(fields, RetentionPolicy)
    SettingsService(db, ProjectService(db, DOMAINS)).put(P, domain, Settings(retention=policy))


def _counts(db: Database) -> tuple[int, int]:
    """How many executions, and how many folders still to sweep, there are."""
    with db.engine.connect() as conn:
        return (
            conn.execute(select(func.count()).select_from(ExecutionRow)).scalar_one(),
            conn.execute(select(func.count()).select_from(CollectedPrefixRow)).scalar_one(),
        )


def _pending(db: Database) -> list[str]:
    with db.engine.connect() as conn:
        return list(conn.scalars(select(CollectedPrefixRow.prefix)))


@pytest.fixture
def store(tmp_path: Path) -> str:
    return (tmp_path / "data").as_uri()


def test_keep_days_and_keep_last_choose_what_goes(database: Database, store: str) -> None:
    old = [make_execution(database, store, P, age_days=40 + i) for i in range(3)]
    young = make_execution(database, store, P, age_days=1)
    running = make_execution(database, store, P, age_days=50, phase=ExecutionPhase.RUNNING)
    other_plan = make_execution(database, store, P, age_days=60, launch_plan="other")
    gc = _collector(database, store)
    # no policy: nothing goes
    assert gc.collect(GcRequest(project=P)).executions_total == 0
    _policy(database, keep_days=30, keep_last_per_launch_plan=2)
    dry = gc.collect(GcRequest(project=P, dry_run=True))
    # wf keeps its 2 newest ended (young, old[0]); "other" keeps its only one
    assert sorted(dry.executions) == sorted(f"{P}/development/{m.name}" for m in old[1:])
    assert all(rows_of(database, m.id) for m in old)  # a dry run deletes nothing
    done = gc.collect(GcRequest(project=P))
    assert done.executions == dry.executions and not done.dry_run
    assert [rows_of(database, m.id) for m in old] == [4, 0, 0]
    for kept in (young, running, other_plan, old[0]):
        assert rows_of(database, kept.id) == 4
        assert all(open_store(store).exists(b) for b in kept.blobs)
    # their blobs go with the next collection (the grace period is 0 here), folders and all
    swept = gc.collect(GcRequest(project=P))
    assert swept.blobs_deleted == 6 and swept.prefixes_swept == 2
    for gone in old[1:]:
        assert not open_store(store).exists(gone.prefix)
    assert _pending(database) == []


def test_protected_domains_need_their_own_policy_to_say_so(database: Database, store: str) -> None:
    prod = make_execution(database, store, P, "production", age_days=90)
    dev = make_execution(database, store, P, "development", age_days=90)
    _policy(database, keep_days=1)  # the project's policy
    gc = _collector(database, store)
    gc.collect(GcRequest())
    assert rows_of(database, prod.id) == 4 and rows_of(database, dev.id) == 0
    _policy(database, "production", keep_days=1)  # not explicit enough
    gc.collect(GcRequest())
    assert rows_of(database, prod.id) == 4
    _policy(database, "production", keep_days=1, protected=False)
    gc.collect(GcRequest(project=P, domain="production"))
    assert rows_of(database, prod.id) == 0
    # and a policy that protects keeps everything, whatever its rules say
    staging = make_execution(database, store, P, "staging", age_days=90)
    _policy(database, "staging", keep_days=1, protected=True)
    gc.collect(GcRequest())
    assert rows_of(database, staging.id) == 4


def test_blobs_a_kept_execution_or_cache_entry_points_at_stay(
    database: Database, store: str
) -> None:
    source = make_execution(database, store, P, age_days=90)
    cached = make_execution(database, store, P, age_days=90)
    reader = make_execution(database, store, P, age_days=1, inputs=blob_input(source.output))
    add_cache_entry(database, P, cached.output)
    _policy(database, keep_days=30)
    gc = _collector(database, store)
    first = gc.collect(GcRequest(project=P))
    assert first.executions_total == 2 and rows_of(database, reader.id) == 4
    second = gc.collect(GcRequest(project=P))
    s = open_store(store)
    # the reader's input and the cache entry's output stay; the logs and the rest go
    assert s.exists(source.output) and s.exists(cached.output)
    assert not s.exists(source.log) and not s.exists(cached.log)
    assert second.blobs_kept == 2 and second.blobs_deleted == 4
    assert sorted(_pending(database)) == sorted([source.prefix, cached.prefix])
    # once the reader goes too, its source's output follows (a grace later)
    _policy(database, keep_days=0)
    gc.collect(GcRequest(project=P))
    assert rows_of(database, reader.id) == 0
    gc.collect(GcRequest(project=P))
    assert not s.exists(source.output) and not s.exists(source.prefix)
    assert s.exists(cached.output)  # the cache entry still points at it


def test_the_grace_period_and_its_restart(database: Database, store: str) -> None:
    source = make_execution(database, store, P, age_days=90)
    reader = make_execution(database, store, P, age_days=40, inputs=blob_input(source.output))
    _policy(database, keep_days=30, keep_last_per_launch_plan=1)
    clock = _Clock()
    gc = _collector(database, store, grace_s=0.5, clock=clock)
    gc.collect(GcRequest(project=P))  # the source goes; the reader is the newest of wf
    assert rows_of(database, source.id) == 0 and rows_of(database, reader.id) == 4
    report = gc.collect(GcRequest(project=P))
    assert report.prefixes_pending == 1 and report.blobs_deleted == 0  # within the grace
    clock.now += 0.6
    gc.collect(GcRequest(project=P))
    s = open_store(store)
    assert s.exists(source.output) and not s.exists(source.log)


def test_the_grace_restarts_when_the_last_reader_goes(database: Database, store: str) -> None:
    source = make_execution(database, store, P, age_days=90)
    reader = make_execution(database, store, P, age_days=40, inputs=blob_input(source.output))
    _policy(database, keep_days=60)
    clock = _Clock()
    gc = _collector(database, store, grace_s=0.5, clock=clock)
    gc.collect(GcRequest(project=P))
    clock.now += 0.6
    gc.collect(GcRequest(project=P))  # swept: the output stays (the reader names it)
    s = open_store(store)
    assert s.exists(source.output) and _pending(database) == [source.prefix]
    # the reader goes: a run that copied the URI from it just before may not have recorded it
    # yet, so the source's folder waits a whole grace period again
    _policy(database, keep_days=30)
    gc.collect(GcRequest(project=P))
    assert rows_of(database, reader.id) == 0
    gc.collect(GcRequest(project=P))
    assert s.exists(source.output)
    clock.now += 0.6
    gc.collect(GcRequest(project=P))
    assert not s.exists(source.output) and not s.exists(reader.output)
    assert _pending(database) == []


def test_the_server_thread_collects_every_interval(database: Database, store: str) -> None:
    old = make_execution(database, store, P, age_days=90)
    _policy(database, keep_days=30)
    stop, loop = start_collector(_collector(database, store), 0.2)
    try:
        deadline = time.monotonic() + 20
        while open_store(store).exists(old.prefix) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert rows_of(database, old.id) == 0 and not open_store(store).exists(old.prefix)
        assert loop.report()["alive"]
    finally:
        stop()
    assert not loop.alive


def test_expired_cache_entries_go_and_only_an_admin_collects(
    database: Database, store: str
) -> None:
    made = make_execution(database, store, P, age_days=1)
    key = add_cache_entry(database, P, made.output)
    with database.session() as session:
        entry = session.get(CacheEntryRow, key)
        assert entry is not None
        entry.expires_at = time.time() - 2 * DAY
    gc = _collector(database, store, grace_s=DAY)
    assert gc.collect(GcRequest(project=P, dry_run=True)).cache_entries == 1
    editor = Principal("ed", (Grant(Role.EDITOR, P),))
    with pytest.raises(PermissionDeniedError):
        gc.collect(GcRequest(project=P), editor)
    with pytest.raises(PermissionDeniedError):
        gc.collect(GcRequest(), Principal("pa", (Grant(Role.ADMIN, P),)))
    with pytest.raises(ValidationError):
        gc.collect(GcRequest(domain="development"))
    with pytest.raises(ValidationError):
        gc.collect(GcRequest(project=P, domain="nope"))
    with database.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(CacheEntryRow)).scalar_one() == 1
        audit = conn.execute(select(func.count()).select_from(AuditRow)).scalar_one()
    report = gc.collect(GcRequest(project=P), Principal("pa", (Grant(Role.ADMIN, P),)))
    assert report.cache_entries == 1
    with database.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(CacheEntryRow)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(AuditRow)).scalar_one() == audit


# -- through a real server process ------------------------------------------------------------

MODULE = """
import datetime

from slipstream import File, task, workflow


@task
def make_file(text: str) -> File:
    with open("made.txt", "w") as fh:
        fh.write(text)
    return File("made.txt")


@task
def copy_file(f: File) -> File:
    with open(f) as src, open("copy.txt", "w") as dst:
        dst.write(src.read())
    return File("copy.txt")


@task(cache=True, cache_version="1", cache_ttl=datetime.timedelta(days=7))
def make_cached(text: str) -> File:
    with open("cached.txt", "w") as fh:
        fh.write(text)
    return File("cached.txt")


@workflow
def wf1(text: str) -> File:
    return make_file(text=text)


@workflow
def wf2(f: File) -> File:
    return copy_file(f=f)


@workflow
def cached(text: str) -> File:
    return make_cached(text=text)
"""
DOMAIN = "development"


def _server(backend: str, home: Path, *extra: str) -> tuple[LiveServer, str]:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text("[server]\ngc_grace_s = 0\ngc_interval_s = 0\n")
    db_url = f"sqlite:///{home / 'slipstream.db'}" if backend == "sqlite" else pg_database()
    return start_server(backend, db_url, home, *extra), db_url


def _gc_cli(
    server: LiveServer, *args: str, token: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = child_env(server.home)
    env["SLIPSTREAM_TOKEN"] = token or server.token
    return subprocess.run(
        cli_command("gc", "--endpoint", server.url, *args),
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def _run(c: httpx.Client, project: str, module: str, workflow: str, inputs: dict[str, Any]) -> str:
    target = {
        "resource_type": "workflow",
        "name": f"{module}.{workflow}",
        "project": project,
        "domain": DOMAIN,
        "version": "v1",
    }
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


def _output(c: httpx.Client, project: str, name: str) -> str:
    r = c.get(f"/executions/{project}/{DOMAIN}/{name}/outputs")
    assert r.status_code == 200, r.text
    uri: str = r.json()["values"]["o0"]["uri"]
    return uri


def _local(uri: str) -> Path:
    return Path(uri.removeprefix("file://"))


def _age(db_url: str, project: str, names: list[str], days: float) -> None:
    db = Database(db_url)
    try:
        with db.engine.begin() as conn:
            conn.execute(
                update(ExecutionRow)
                .where(ExecutionRow.project == project, ExecutionRow.name.in_(names))
                .values(updated_at=time.time() - days * DAY)
            )
    finally:
        db.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_gc_over_the_api_and_the_cli_with_real_runs(backend: str, tmp_path: Path) -> None:
    server, db_url = _server(backend, tmp_path / "home", "--workers", "2")
    try:
        code = tmp_path / "code"
        package = f"pkg_{unique('ret').replace('-', '_')}"
        (code / package).mkdir(parents=True)
        (code / package / "__init__.py").write_text("")
        (code / package / "flows.py").write_text(MODULE)
        module = f"{package}.flows"
        project = unique("ret")
        with Remote(server.url, project, DOMAIN, token=server.token) as remote:
            remote.create_project(project)
            remote.register(code / package, version="v1")
        headers = server.headers
        with httpx.Client(base_url=f"{server.url}/api/v1", headers=headers, timeout=30) as c:
            source = _run(c, project, module, "wf1", {"text": "kept"})
            made = _output(c, project, source)
            reader = _run(c, project, module, "wf2", {"f": {"uri": made}})
            lonely = _run(c, project, module, "wf1", {"text": "gone"})
            lonely_out = _output(c, project, lonely)
            first = _run(c, project, module, "cached", {"text": "x"})
            cached_out = _output(c, project, first)
            _age(db_url, project, [source, lonely, first], 40)
            policy = {"retention": {"keep_days": 30}}
            assert c.put(f"/projects/{project}/settings", json=policy).status_code == 200

            dry = _gc_cli(server, "--dry-run", "--json", "-p", project)
            assert dry.returncode == 0, dry.stderr
            expected = sorted(f"{project}/{DOMAIN}/{n}" for n in (source, lonely, first))
            assert sorted(json.loads(dry.stdout)["executions"]) == expected
            assert c.get(f"/executions/{project}/{DOMAIN}/{source}").status_code == 200

            done = _gc_cli(server, "--json", "-p", project)
            assert done.returncode == 0, done.stderr
            assert json.loads(done.stdout)["executions_total"] == 3
            for gone in (source, lonely, first):
                assert c.get(f"/executions/{project}/{DOMAIN}/{gone}").status_code == 404
            assert c.get(f"/executions/{project}/{DOMAIN}/{reader}").status_code == 200
            # the next collection (of every project) sweeps the blobs nothing points at
            swept = _gc_cli(server, "--json")
            assert swept.returncode == 0, swept.stderr
            assert _local(made).exists()  # the reader's input
            assert _local(cached_out).exists()  # the cache entry's output
            assert not _local(lonely_out).exists()
            assert not _local(lonely_out).parents[4].exists()  # the whole execution's folder
            # runs that read the kept blob while collections go on, concurrently: none loses it
            stop = threading.Event()

            def collect_all() -> None:
                while not stop.is_set():
                    assert c.post("/gc", json={}).status_code == 200

            collector = threading.Thread(target=collect_all)
            collector.start()
            try:
                for _ in range(3):
                    _run(c, project, module, "wf2", {"f": {"uri": made}})
            finally:
                stop.set()
                collector.join(60)
            assert _local(made).exists()
            # the cache still hits; once its blob is gone, it is a miss and the task runs again
            again = _run(c, project, module, "cached", {"text": "x"})
            node = c.get(f"/executions/{project}/{DOMAIN}/{again}/nodes/n0").json()
            assert node["cache"] == "HIT"
            _local(cached_out).unlink()
            third = _run(c, project, module, "cached", {"text": "x"})
            node = c.get(f"/executions/{project}/{DOMAIN}/{third}/nodes/n0").json()
            assert node["cache"] != "HIT"
            assert _local(_output(c, project, third)).read_text() == "x"
            # bad input: exit 2, and nothing changed; a non-admin is refused
            before = c.get(f"/executions/{project}/{DOMAIN}", params={"limit": 100}).json()
            assert _gc_cli(server, "-d", DOMAIN).returncode == 2
            assert _gc_cli(server, "-p", "no-such-project").returncode == 2
            assert _gc_cli(server, "-p", project, "-d", "nope").returncode == 2
            _, token = user_with_role(c, "editor", project)
            refused = _gc_cli(server, "--json", "-p", project, token=token)
            assert refused.returncode == 1
            assert json.loads(refused.stdout)["error"]["code"] == "forbidden"
            after = c.get(f"/executions/{project}/{DOMAIN}", params={"limit": 100}).json()
            assert after == before
    finally:
        server.stop()


@pytest.mark.timeout(240)
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_collection_killed_with_sigkill_loses_nothing_kept(backend: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text("[server]\ngc_grace_s = 0\ngc_interval_s = 0\n")
    db_url = f"sqlite:///{home / 'slipstream.db'}" if backend == "sqlite" else pg_database()
    store = (home / "data").as_uri()
    db = Database(db_url)
    db.upgrade()
    doomed = [make_execution(db, store, P, age_days=90) for _ in range(120)]
    readers = [
        make_execution(db, store, P, age_days=1, inputs=blob_input(d.output)) for d in doomed[:15]
    ]
    for d in doomed[15:25]:
        add_cache_entry(db, P, d.output)
    _policy(db, keep_days=30)
    kept = [b for r in readers for b in r.blobs] + [d.output for d in doomed[:25]]
    loose = [b for d in doomed for b in d.blobs if b not in set(kept)]
    s = open_store(store)

    def check() -> None:
        # nothing kept is lost, and an execution's rows went all together or not at all
        assert all(rows_of(db, r.id) == 4 for r in readers)
        assert all(s.exists(b) for b in kept)
        assert {rows_of(db, d.id) for d in doomed} <= {0, 4}
        pending = set(_pending(db))
        for d in doomed:
            if rows_of(db, d.id) == 4:
                assert all(s.exists(b) for b in d.blobs)
            elif d.prefix not in pending:  # swept to the end
                assert not any(s.exists(b) for b in d.blobs if b not in kept)

    for round_ in range(4):
        server = start_server(backend, db_url, home, "--no-engine")

        def collect(url: str = server.url, headers: dict[str, str] = server.headers) -> None:
            with contextlib.suppress(httpx.HTTPError):  # killed under it
                httpx.post(f"{url}/api/v1/gc", json={}, headers=headers, timeout=30)

        # kill it as soon as it has done part of its work: deleted rows (the first rounds),
        # deleted blobs or finished folders (the later ones)
        rows, folders = _counts(db)
        blobs = sum(s.exists(b) for b in loose[::7])
        caller = threading.Thread(target=collect)
        caller.start()
        while caller.is_alive():
            now_rows, now_folders = _counts(db)
            if now_rows < rows or (round_ >= 2 and now_folders < folders):
                break
            if round_ >= 2 and sum(s.exists(b) for b in loose[::7]) < blobs:
                break
            time.sleep(0.002)
        if caller.is_alive():
            server.process.kill()  # SIGKILL, in the middle of the collection
            server.process.wait(10)
            caller.join(30)
        server.stop()  # (reaps a killed one)
        check()
    # the next collections finish the job
    server = start_server(backend, db_url, home, "--no-engine")
    try:
        with httpx.Client(base_url=f"{server.url}/api/v1", headers=server.headers, timeout=60) as c:
            for _ in range(3):
                report = c.post("/gc", json={})
                assert report.status_code == 200, report.text
    finally:
        server.stop()
    check()
    assert all(rows_of(db, d.id) == 0 for d in doomed)
    assert not any(s.exists(b) for b in loose)
    assert sorted(_pending(db)) == sorted(d.prefix for d in doomed[:25])
    db.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_upgrade_from_an_older_database(backend: str, tmp_path: Path) -> None:
    """A database from before retention (revision 0008) gets the expiry column and the folders
    table; its cache entries never expire and still hit, and collections work on it."""
    from sqlalchemy import insert, inspect

    from slipstream.server._host import DbCatalog

    url = f"sqlite:///{tmp_path / 'old.db'}" if backend == "sqlite" else pg_database()
    db = Database(url)
    try:
        db.upgrade("0008")
        entry = {
            "key": "k1",
            "project": P,
            "domain": "development",
            "task": "t",
            "outputs": '{"o0": 1}',
            "outputs_uri": "",
            "source": "",
            "created_at": 0.0,
        }
        with db.engine.begin() as conn:
            conn.execute(insert(CacheEntryRow), [entry])
        db.upgrade()
        with db.engine.connect() as conn:
            assert "collected_prefixes" in inspect(conn).get_table_names()
            assert conn.execute(select(CacheEntryRow.expires_at)).scalar_one() is None
        assert DbCatalog(db).get("k1") == {"o0": 1}
        store = (tmp_path / "data").as_uri()
        old = make_execution(db, store, P, age_days=90)
        _policy(db, keep_days=30)
        assert _collector(db, store).collect(GcRequest()).executions_total == 1
        assert rows_of(db, old.id) == 0
    finally:
        db.dispose()


def test_the_server_catalog_misses_expired_entries_and_gone_blobs(
    database: Database, tmp_path: Path
) -> None:
    from sqlalchemy import insert

    from slipstream.server._host import DbCatalog

    store = (tmp_path / "data").as_uri()
    catalog = DbCatalog(database, store, offload_bytes=1)
    catalog.put("big", "t", {"o0": "x" * 10}, f"{P}/development/e1")
    catalog.put("brief", "t", {"o0": 1}, f"{P}/development/e1", ttl_s=0.05)
    assert catalog.get("big") == {"o0": "x" * 10} and catalog.get("brief") == {"o0": 1}
    rows = catalog.take()
    with database.engine.begin() as conn:
        conn.execute(insert(CacheEntryRow), rows)
    time.sleep(0.1)
    assert catalog.get("brief") is None  # expired
    offloaded = next(r["outputs_uri"] for r in rows if r["key"] == "big")
    open_store(store).delete(offloaded)
    assert catalog.get("big") is None  # its blob is gone: a miss, not an error
