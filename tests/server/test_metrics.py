"""``GET /metrics`` on a real server process: the figures after a few executions, who may read
them, and a real Prometheus server scraping it (Debian's ``prometheus``, skipped only where it is
not installed)."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from live_server import BACKENDS, LiveServer, pg_database, start_server, unique

pytestmark = pytest.mark.timeout(180)

FLOWS = Path(__file__).resolve().parent / "flows" / "metrics_flows.py"
DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
TERMINAL = {"SUCCEEDED", "FAILED", "ABORTED", "TIMED_OUT"}


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str]]:
    """A server of its own (so its figures are the test's alone) after three executions of a
    fresh project: one that succeeds, the same again answered by the cache, one that fails."""
    from slipstream.remote import Remote

    home = tmp_path_factory.mktemp("metrics-home")
    server = start_server("sqlite", f"sqlite:///{home / 'm.db'}", home, "--workers", "2")
    try:
        project = unique("metrics")
        with Remote(server.url, project=project, domain="development", token=server.token) as r:
            r.create_project(project)
            r.register(FLOWS)
        with _api(server) as api:  # one after another: the second finds the first's cache entry
            phases = [
                _wait(api, project, _launch(api, project, workflow, {"x": x}))
                for workflow, x in (("twice", 3), ("twice", 3), ("fails", 1))
            ]
        assert phases == ["SUCCEEDED", "SUCCEEDED", "FAILED"], phases
        yield server, project
    finally:
        server.stop()


def _api(server: LiveServer, token: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token or server.token}"}
    return httpx.Client(base_url=f"{server.url}/api/v1", headers=headers, timeout=30)


def _launch(api: httpx.Client, project: str, workflow: str, inputs: dict[str, Any]) -> str:
    body = {
        "target": {"resource_type": "workflow", "project": project, "domain": "development",
                   "name": f"metrics_flows.{workflow}"},
        "inputs": inputs,
    }  # fmt: skip
    r = api.post("/executions", json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["id"]["name"])


def _wait(api: httpx.Client, project: str, name: str) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        phase = str(api.get(f"/executions/{project}/development/{name}").json()["phase"])
        if phase in TERMINAL:
            return phase
        time.sleep(0.05)
    raise AssertionError(f"execution {name} did not end")


def _scrape(
    server: LiveServer, token: str | None = None
) -> dict[tuple[str, frozenset[Any]], float]:
    from prometheus_client.parser import text_string_to_metric_families

    r = httpx.get(
        f"{server.url}/metrics",
        headers={"Authorization": f"Bearer {token or server.token}"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(r.text)
        for s in family.samples
    }


def _value(samples: dict[tuple[str, frozenset[Any]], float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_metrics_count_executions_attempts_cache_and_requests(
    ran: tuple[LiveServer, str],
) -> None:
    server, project = ran
    m = _scrape(server)
    where = {"project": project, "domain": "development"}
    total = "slipstream_executions_total"
    assert _value(m, total, **where, phase="SUCCEEDED") == 2
    assert _value(m, total, **where, phase="FAILED") == 1
    attempts = "slipstream_task_attempts_total"
    assert _value(m, attempts, **where, result="SUCCEEDED", kind="none") == 1  # one was cached
    assert _value(m, attempts, **where, result="FAILED", kind="USER") == 1
    assert _value(m, "slipstream_attempt_duration_seconds_count", **where) == 2
    assert _value(m, "slipstream_queue_wait_seconds_count") == 2
    assert _value(m, "slipstream_cache_lookups_total", result="hit") == 1
    assert _value(m, "slipstream_cache_lookups_total", result="miss") == 1
    assert _value(m, "slipstream_engine_hosts") == 1
    assert _value(m, "slipstream_worker_slots") == 2
    assert _value(m, "slipstream_running_attempts") == 0
    assert _value(m, "slipstream_queued_oldest_seconds") == 0  # nothing waits
    assert _value(m, "slipstream_executions_current", **where, phase="QUEUED") == 0
    launched = _value(
        m, "slipstream_http_requests_total", route="/api/v1/executions", method="POST", status="201"
    )
    assert launched == 3
    reads = [
        labels
        for (name, labels) in m
        if name == "slipstream_http_requests_total"
        and ("route", "/api/v1/executions/{project}/{domain}/{name}") in labels
    ]
    assert reads, "reads of an execution count under the route's template"
    # bounded labels: requests count by route template, never by a path naming the project
    routes = {v for name, labels in m for k, v in labels if k == "route"}
    assert routes and not [r for r in routes if project in r], routes
    assert ("slipstream_schedule_lag_seconds_count", frozenset()) in m  # none scheduled: 0


def test_metrics_need_a_token_and_a_metrics_token_reads_nothing_else(
    ran: tuple[LiveServer, str],
) -> None:
    server, project = ran
    assert httpx.get(f"{server.url}/metrics", timeout=10).status_code == 401
    bad = httpx.get(f"{server.url}/metrics", headers={"Authorization": "Bearer x"}, timeout=10)
    assert bad.status_code == 401
    with _api(server) as admin:
        before = admin.get("/tokens", params={"user": "*"}).json()
        refused = admin.post("/tokens", json={"description": "x", "scope": "admin"})
        assert refused.status_code in (400, 422), refused.text
        assert admin.get("/tokens", params={"user": "*"}).json() == before
        made = admin.post("/tokens", json={"description": "prometheus", "scope": "metrics"})
        assert made.status_code == 201, made.text
        assert made.json()["info"]["scope"] == "metrics"
        scraper = str(made.json()["token"])
        before = admin.get("/tokens", params={"user": "*"}).json()
    assert _value(_scrape(server, scraper), "slipstream_engine_hosts") == 1
    with _api(server, scraper) as api:
        for method, path in (
            ("GET", "/whoami"),
            ("GET", "/projects"),
            ("GET", f"/executions/{project}/development"),
            ("GET", "/tokens"),
        ):
            r = api.request(method, path)
            assert r.status_code == 403, (path, r.text)
            assert "/metrics" in r.json()["message"]
        r = api.post("/tokens", json={"description": "escape"})
        assert r.status_code == 403, r.text
        r = api.post("/projects", json={"name": unique("nope")})
        assert r.status_code == 403, r.text
    page = httpx.get(
        f"{server.url}/console/projects",
        cookies={"slipstream_session": scraper},
        follow_redirects=False,
        timeout=10,
    )
    assert page.status_code in (303, 307), page.status_code
    assert "/console/login" in page.headers["location"]
    with _api(server) as admin:
        assert admin.get("/tokens", params={"user": "*"}).json() == before
        assert not [
            p for p in admin.get("/projects").json()["items"] if p["name"].startswith("nope")
        ]


def test_the_cli_makes_a_metrics_token(ran: tuple[LiveServer, str]) -> None:
    from click.testing import CliRunner

    from slipstream.cli import main

    server, _ = ran
    out = CliRunner().invoke(
        main,
        ["auth", "token", "create", "--metrics", "--json", "--endpoint", server.url,
         "--token", server.token],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    made = json.loads(out.output)
    assert made["info"]["scope"] == "metrics"
    assert _value(_scrape(server, made["token"]), "slipstream_engine_hosts") == 1
    with _api(server, made["token"]) as api:
        assert api.get("/whoami").status_code == 403


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_server_without_an_engine_host_shows_executions_waiting(
    backend: str, tmp_path: Path
) -> None:
    from slipstream.remote import Remote

    db = f"sqlite:///{tmp_path / 'queued.db'}" if backend == "sqlite" else pg_database()
    server = start_server(backend, db, tmp_path, "--no-engine")
    try:
        with Remote(server.url, project="q", domain="development", token=server.token) as r:
            r.create_project("q")
            r.register(FLOWS)
        with _api(server) as api:
            _launch(api, "q", "twice", {"x": 1})
        time.sleep(1.1)
        m = _scrape(server)
        assert _value(m, "slipstream_executions_current", project="q", domain="development",
                      phase="QUEUED") == 1  # fmt: skip
        assert _value(m, "slipstream_queued_oldest_seconds") >= 1
        # no engine host here, and no slots: the engine-host-down alert stays quiet
        assert _value(m, "slipstream_engine_hosts") == 0
        assert _value(m, "slipstream_worker_slots") == 0
    finally:
        server.stop()


def test_metrics_off_counts_nothing_and_answers_404(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLIPSTREAM_METRICS", "0")
    server = start_server("sqlite", f"sqlite:///{tmp_path / 'off.db'}", tmp_path, "--no-engine")
    try:
        r = httpx.get(f"{server.url}/metrics", headers=server.headers, timeout=10)
        assert r.status_code == 404, r.text
        assert "metrics are off" in r.json()["message"]
    finally:
        server.stop()


def _check_dashboard(prometheus: str, server: LiveServer) -> None:
    """Every query of the Grafana dashboard is valid PromQL (Prometheus runs it) and names only
    metrics the server exposes (a family with no series yet included); so do the alert rules."""
    import re

    text = httpx.get(f"{server.url}/metrics", headers=server.headers, timeout=10).text
    exposed = set(re.findall(r"^# TYPE (\S+)", text, re.M))
    dashboard = json.loads((DEPLOY / "grafana-dashboard.json").read_text())
    queries = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    assert queries
    for name in re.findall(r"slipstream_[a-z_]+", (DEPLOY / "prometheus-alerts.yml").read_text()):
        assert re.sub(r"_(bucket|count|sum)$", "", name) in exposed, name
    for query in queries:
        for name in re.findall(r"slipstream_[a-z_]+", query):
            assert re.sub(r"_(bucket|count|sum)$", "", name) in exposed, (name, query)
        concrete = query.replace("$job", "slipstream").replace("$project", ".*")
        r = httpx.get(f"{prometheus}/api/v1/query", params={"query": concrete}, timeout=10)
        assert r.status_code == 200 and r.json()["status"] == "success", (query, r.text)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_prometheus_scrapes_the_server_and_the_rules_are_valid(
    ran: tuple[LiveServer, str], tmp_path: Path
) -> None:
    prometheus = shutil.which("prometheus")
    if prometheus is None:
        pytest.skip("Debian's prometheus server is not installed (apt-get install prometheus)")
    promtool = shutil.which("promtool")
    if promtool is not None:
        checked = subprocess.run(
            [promtool, "check", "rules", str(DEPLOY / "prometheus-alerts.yml")],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert checked.returncode == 0, checked.stdout + checked.stderr
    server, project = ran
    with _api(server) as admin:
        made = admin.post("/tokens", json={"description": "prometheus", "scope": "metrics"})
    token_file = tmp_path / "token"
    token_file.write_text(made.json()["token"])
    target = server.url.removeprefix("http://")
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        "scrape_configs:\n  - job_name: slipstream\n    metrics_path: /metrics\n"
        f"    authorization:\n      credentials_file: {token_file}\n"
        f"    static_configs:\n      - targets: ['{target}']\n"
        f"rule_files:\n  - {DEPLOY / 'prometheus-alerts.yml'}\n"
    )
    if promtool is not None:
        checked = subprocess.run(
            [promtool, "check", "config", str(config)], capture_output=True, text=True, timeout=60
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr
    port = _free_port()
    proc = subprocess.Popen(
        [prometheus, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        query = f'slipstream_executions_total{{project="{project}",phase="SUCCEEDED"}}'
        found: list[Any] = []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not found:
            time.sleep(0.5)
            try:
                r = httpx.get(
                    f"http://127.0.0.1:{port}/api/v1/query", params={"query": query}, timeout=5
                )
            except httpx.HTTPError:
                continue
            if r.status_code == 200:
                found = r.json()["data"]["result"]
        assert found, "Prometheus never scraped the server"
        assert float(found[0]["value"][1]) == 2
        assert found[0]["metric"]["job"] == "slipstream"
        up = httpx.get(
            f"http://127.0.0.1:{port}/api/v1/query", params={"query": "up"}, timeout=5
        ).json()["data"]["result"]
        assert [float(u["value"][1]) for u in up] == [1.0]
        _check_dashboard(f"http://127.0.0.1:{port}", server)
        rules = httpx.get(f"http://127.0.0.1:{port}/api/v1/rules", timeout=5).json()
        names = {r["name"] for g in rules["data"]["groups"] for r in g["rules"]}
        assert {"SlipstreamEngineHostDown", "SlipstreamQueueWaitHigh"} <= names, names
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        if proc.stdout is not None:
            proc.stdout.close()
