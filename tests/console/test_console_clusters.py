"""The console's clusters page (each cluster's hosts, runner, capacity, load, queue and last
heartbeat; linked from every page's header), the launch form's cluster field, and the cluster an
execution runs on in its page's header, on a real server."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
from console_client import ConsoleClient
from live_server import LiveServer

from slipstream.remote import Remote
from slipstream.server import Database
from slipstream.server._clusters import ensure, record_heartbeat


@pytest.fixture
def db(server: LiveServer) -> Iterator[Database]:
    database = Database(server.db_url)
    yield database
    database.dispose()


def test_clusters_page_lists_hosts_capacity_and_queue(browser: ConsoleClient, db: Database) -> None:
    name = f"gpu-{uuid.uuid4().hex[:8]}"
    record_heartbeat(
        db,
        owner=f"node-7:42:{name}",
        cluster=name,
        hostname="node-7",
        runner="ray://10.0.0.5:10001",
        capacity={"cpus": 16, "memory": 64 << 30, "gpus": 2, "slots": 16},
        running=3,
        executions=2,
        lease_s=600,
        store_url="s3://bucket/gpu",
        started_at=time.time() - 60,
    )
    idle = f"idle-{uuid.uuid4().hex[:8]}"
    ensure(db, idle)
    home = browser.get("/console/projects")
    assert 'href="/console/clusters"' in home.text  # the header links it from every page
    page = browser.get("/console/clusters")
    assert page.status_code == 200, page.text
    text = page.text
    assert f'data-cluster="{name}"' in text and f'data-cluster="{idle}"' in text
    assert "node-7" in text and "ray://10.0.0.5:10001" in text
    assert "16 CPUs · 64Gi · 2 GPUs · 16 slots" in text
    assert "s3://bucket/gpu" in text and "no host yet" in text
    fragment = browser.get("/console/clusters", params={"fragment": "1"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert f'data-cluster="{name}"' in fragment.text


def test_launch_form_sends_an_execution_to_a_cluster(
    browser: ConsoleClient, project: str, remote: Remote
) -> None:
    form = f"/console/projects/{project}/development/launch_plans/quick_lp/launch"
    page = browser.get(form)
    assert 'name="__cluster"' in page.text and "<option>local</option>" in page.text
    listing = f"/console/executions/{project}/development"
    before = browser.get(listing, params={"launch_plan": "quick_lp"}).text.count("<tr>")
    bad = browser.post(form, data={"x": "1", "__cluster": "nowhere"})
    assert bad.status_code == 422, bad.text
    assert 'id="err-cluster">unknown cluster nowhere' in bad.text
    after = browser.get(listing, params={"launch_plan": "quick_lp"}).text.count("<tr>")
    assert after == before  # nothing was launched
    good = browser.post(form, data={"x": "1", "__cluster": "local"})
    assert good.status_code == 303, good.text
    name = good.headers["location"].rsplit("/", 1)[1]
    assert remote.fetch_execution(name).cluster == "local"
    header = browser.get(f"/console/executions/{project}/development/{name}/header")
    assert 'class="cluster" href="/console/clusters">local</a>' in header.text
