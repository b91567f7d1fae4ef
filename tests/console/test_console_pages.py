"""The console's pages and actions over HTTP, on a real server with real executions: login and
roles, projects with counts, entities with versions, interface and graph, the executions list
with filters and pages, one execution (outputs by type, nodes, a failed node's traceback, logs),
the launch form's per-field errors, abort, relaunch, recover, signals, schedules."""

from __future__ import annotations

import re
import time

import httpx
import pytest
from console_client import ConsoleClient, csrf_of
from live_server import LiveServer

from slipstream.remote import Remote

WF = "pkg_{}.flows.{}"


def wf(project: str, name: str) -> str:
    return WF.format(project.replace("-", "_"), name)


def wait_phase(remote: Remote, name: str, phases: set[str], timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        phase = remote.fetch_execution(name).phase.value
        if phase in phases:
            return phase
        time.sleep(0.2)
    raise AssertionError(f"{name} never reached {phases}")


def test_login_needed_and_bad_token_refused(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as anonymous:
        r = anonymous.get("/console/projects")
        assert r.status_code == 303 and r.headers["location"].startswith("/console/login?next=")
        page = anonymous.get("/console/login")
        csrf = csrf_of(page.text)
        own = {"Origin": server.url}
        r = anonymous.post(
            "/console/login",
            data={"token": "ss_nope_nope", "next": "/console", "csrf": csrf},
            headers=own,
        )
        assert r.status_code == 401 and ("not known" in r.text or "malformed" in r.text)
        r = anonymous.post(
            "/console/login",
            data={"token": server.token, "next": "//evil.example/", "csrf": csrf},
            headers=own,
        )
        # logged in, and never sent to another site after logging in
        assert r.status_code == 303 and r.headers["location"] == "/console"
        cookie = r.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie
        # the API does not take the console's cookie
        assert anonymous.get("/api/v1/projects").status_code == 401
        assert anonymous.get("/console/projects").status_code == 200


def test_other_sites_cannot_post_actions(browser: ConsoleClient, project: str) -> None:
    r = browser.post(
        f"/console/projects/{project}/development/launch_plans/quick_lp/launch",
        data={"x": "1"},
        origin="http://evil.example",
    )
    assert r.status_code == 403


def test_projects_entities_graph_and_versions(
    browser: ConsoleClient, project: str, remote: Remote
) -> None:
    record = remote.execute(wf(project, "quick"), inputs={"x": 1}, wait=True)
    assert record.phase.value == "SUCCEEDED"
    page = browser.get("/console/projects")
    assert page.status_code == 200 and project in page.text
    assert "SUCCEEDED" in page.text
    page = browser.get(f"/console/projects/{project}/development")
    assert wf(project, "quick") in page.text and "quick_lp" in page.text
    page = browser.get(f"/console/projects/{project}/development/workflows/{wf(project, 'quick')}")
    assert page.status_code == 200
    assert "data-graph=" in page.text and "v1" in page.text
    assert re.search(r"<td>x</td><td class=\"type\">int</td>", page.text)
    page = browser.get(f"/console/projects/{project}/development/tasks/nope")
    assert page.status_code == 404 and "nope" in page.text


def test_execution_page_outputs_nodes_and_logs(
    browser: ConsoleClient, project: str, remote: Remote
) -> None:
    record = remote.execute(wf(project, "quick"), inputs={"x": 5}, wait=True)
    base = f"/console/executions/{project}/development/{record.id.name}"
    page = browser.get(base)
    assert page.status_code == 200
    assert "SUCCEEDED" in page.text and "<code>20</code>" in page.text  # the output, by type
    rows = browser.get(f"{base}/nodes")
    assert 'data-path="n0"' in rows.text and 'data-path="n1"' in rows.text
    node = browser.get(f"{base}/node", params={"path": "n0"})
    assert "Attempts" in node.text and "disabled" in node.text  # the cache status
    log = browser.get(f"{base}/log", params={"path": "n0"})
    assert "doubling 5" in log.text and "following" not in log.text
    gantt = browser.get(f"{base}/gantt")
    assert "<rect" in gantt.text and "2 of 2 attempts" in gantt.text
    phases = browser.get(f"{base}/phases").json()
    assert phases == {
        "phase": "SUCCEEDED",
        "terminal": True,
        "nodes": {"n0": "SUCCEEDED", "n1": "SUCCEEDED"},
    }


def test_failed_node_shows_its_traceback_and_recover(
    browser: ConsoleClient, project: str, remote: Remote
) -> None:
    record = remote.execute(wf(project, "failing"), wait=True)
    assert record.phase.value == "FAILED"
    base = f"/console/executions/{project}/development/{record.id.name}"
    page = browser.get(base)
    assert "cannot take 2" in page.text and "Traceback" in page.text
    node = browser.get(f"{base}/node", params={"path": "n1"})
    assert "ValueError" in node.text and "explode" in node.text
    r = browser.post(f"{base}/recover")
    assert r.status_code == 303
    new = r.headers["location"].rsplit("/", 1)[1]
    assert wait_phase(remote, new, {"FAILED"}) == "FAILED"
    assert remote.fetch_execution(new).spec.mode == "recover"


def test_executions_list_filters_and_pages(
    browser: ConsoleClient, project: str, remote: Remote
) -> None:
    listing = f"/console/executions/{project}/development"
    before = browser.get(listing, params={"launch_plan": "quick_lp"}).text.count("SUCCEEDED</span>")
    names = [remote.execute("quick_lp", inputs={"x": x}, wait=True).id.name for x in range(3)]
    page = browser.get(listing, params={"launch_plan": "quick_lp"})
    assert page.text.count("SUCCEEDED</span>") == before + 3
    # pages of two, newest first, following the "older" link
    first = browser.get(listing, params={"launch_plan": "quick_lp", "limit": "2"})
    assert names[2] in first.text and names[1] in first.text and names[0] not in first.text
    link = re.search(r'id="next-page" href="\?([^"]+)"', first.text)
    assert link is not None
    second = browser.get(f"{listing}?{link.group(1).replace('&amp;', '&')}")
    assert names[0] in second.text and names[2] not in second.text
    page = browser.get(listing, params={"phase": "failed"})
    assert not any(n in page.text for n in names) and "SUCCEEDED</span>" not in page.text
    page = browser.get(listing, params={"launched_by": "admin", "since": "2000-01-01T00:00"})
    assert page.status_code == 200 and "quick_lp" in page.text
    assert browser.get(listing, params={"phase": "nope"}).status_code == 400
    assert browser.get(listing, params={"since": "yesterday"}).status_code == 400


def test_launch_form_checks_each_field_then_launches(
    browser: ConsoleClient, project: str, remote: Remote
) -> None:
    form = f"/console/projects/{project}/development/launch_plans/quick_lp/launch"
    listing = f"/console/executions/{project}/development"
    before = browser.get(listing, params={"launch_plan": "quick_lp"}).text.count("<tr>")
    page = browser.get(form)
    assert 'name="x"' in page.text and 'data-kind="int"' in page.text and 'value="3"' in page.text
    bad = browser.post(form, data={"x": "three", "label": "ok"})
    assert bad.status_code == 422
    assert re.search(r'id="err-x">x \(int\): [^<]+', bad.text)
    assert 'id="err-label"></p>' in bad.text
    after = browser.get(listing, params={"launch_plan": "quick_lp"}).text.count("<tr>")
    assert after == before  # nothing was launched
    good = browser.post(form, data={"x": "7", "label": "from the form"})
    assert good.status_code == 303
    name = good.headers["location"].rsplit("/", 1)[1]
    assert wait_phase(remote, name, {"SUCCEEDED"}) == "SUCCEEDED"
    assert remote.outputs(name)["o0"] == 28


def test_abort_and_relaunch(browser: ConsoleClient, project: str, remote: Remote) -> None:
    record = remote.execute(wf(project, "sleepy"), inputs={"seconds": 30.0})
    wait_phase(remote, record.id.name, {"RUNNING"})
    base = f"/console/executions/{project}/development/{record.id.name}"
    r = browser.post(f"{base}/abort")
    assert r.status_code == 303
    assert wait_phase(remote, record.id.name, {"ABORTED"}) == "ABORTED"
    r = browser.post(f"{base}/relaunch")
    again = r.headers["location"].rsplit("/", 1)[1]
    assert remote.fetch_execution(again).spec.mode == "relaunch"
    remote.terminate(again)


def test_signal_a_gate(browser: ConsoleClient, project: str, remote: Remote) -> None:
    record = remote.execute(wf(project, "gated"))
    base = f"/console/executions/{project}/development/{record.id.name}"
    deadline = time.monotonic() + 30
    while 'name="signal" value="answer"' not in browser.get(base).text:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    bad = browser.post(f"{base}/signals", data={"signal": "answer", "value": "x"})
    assert bad.status_code == 400 and "answer" in bad.text
    r = browser.post(f"{base}/signals", data={"signal": "answer", "value": "21"})
    assert r.status_code == 303
    assert wait_phase(remote, record.id.name, {"SUCCEEDED"}) == "SUCCEEDED"
    assert remote.outputs(record.id.name)["o0"] == 42


def test_viewer_reads_but_cannot_act(server: LiveServer, project: str, remote: Remote) -> None:
    user = f"viewer{project[-8:]}"
    remote.access.create_user(user)
    remote.access.grant(user, "viewer", project)
    token = remote.access.create_token(user=user).token
    with ConsoleClient(server.url, token) as client:
        assert client.get(f"/console/executions/{project}/development").status_code == 200
        r = client.post(
            f"/console/projects/{project}/development/launch_plans/quick_lp/launch", data={"x": "1"}
        )
        assert r.status_code == 403 and "launcher" in r.text


@pytest.mark.parametrize("kind", ["workflows"])
def test_unknown_pages_are_pages_not_json(browser: ConsoleClient, project: str, kind: str) -> None:
    r = browser.get(f"/console/executions/{project}/development/enope")
    assert r.status_code == 404 and "<html" in r.text and "enope" in r.text


def test_no_login_without_auth(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from live_server import start_server

    server = start_server(
        "sqlite", f"sqlite:///{tmp_path / 'x.db'}", tmp_path / "home", "--no-auth"
    )
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            assert client.get("/console/projects").status_code == 200
            r = client.get("/console/login")
            assert r.status_code == 303 and r.headers["location"] == "/console"
    finally:
        server.stop()


def test_failed_notifications_are_shown(
    browser: ConsoleClient, project: str, remote: Remote
) -> None:
    record = remote.execute("notified", wait=True)
    assert record.phase.value == "SUCCEEDED"
    page = f"/console/notifications/{project}/development"
    deadline = time.monotonic() + 30
    while "ConnectError" not in (text := browser.get(page).text):
        assert time.monotonic() < deadline, text
        time.sleep(0.3)
    assert record.id.name in text and "http://127.0.0.1:9/down" in text
    execution = browser.get(f"/console/executions/{project}/development/{record.id.name}").text
    assert 'id="notifications"' in execution and "ConnectError" in execution


def test_activate_and_deactivate_a_schedule(
    browser: ConsoleClient, project: str, remote: Remote
) -> None:
    page_url = f"/console/projects/{project}/development/launch_plans/hourly_quick"
    page = browser.get(page_url).text
    assert "Asia/Tokyo" in page and 'id="activate"' in page
    r = browser.post(f"{page_url}/activate", data={"version": "v1"})
    assert r.status_code == 303 and r.headers["location"] == page_url
    page = browser.get(page_url).text
    assert "active (v1)" in page and 'id="deactivate"' in page
    assert remote.get_schedule("hourly_quick").active
    listing = browser.get(f"/console/projects/{project}/development").text
    assert "active: <code>v1</code>" in listing
    day = time.time() - 3 * 86400
    result = remote.backfill_launch_plan("hourly_quick", day, day + 2 * 3600, pace_s=0)
    assert result.created == 2
    deadline = time.monotonic() + 30
    while page.count('<tr class="created">') < 2:
        assert time.monotonic() < deadline, page
        time.sleep(0.3)
        page = browser.get(page_url).text
    assert "backfill" in page
    r = browser.post(f"{page_url}/deactivate")
    assert r.status_code == 303
    assert not remote.get_schedule("hourly_quick").active
    assert "inactive" in browser.get(page_url).text


def test_subworkflow_and_dynamic_children_expand(
    browser: ConsoleClient, project: str, remote: Remote
) -> None:
    record = remote.execute(wf(project, "nested"), inputs={"n": 3}, wait=True)
    assert record.phase.value == "SUCCEEDED", record.error
    base = f"/console/executions/{project}/development/{record.id.name}"
    top = browser.get(f"{base}/nodes").text
    assert 'data-path="n0"' in top and 'data-path="n1"' in top
    assert top.count('class="expand"') == 2  # both have children
    sub = browser.get(f"{base}/nodes", params={"parent": "n0", "depth": "1"}).text
    assert 'data-path="n0/n0"' in sub and 'data-path="n0/n1"' in sub and "depth-1" in sub
    dyn = browser.get(f"{base}/nodes", params={"parent": "n1", "depth": "1"}).text
    assert [p for p in re.findall(r'data-path="([^"]+)"', dyn)] == [
        "n1/dyn/n0",
        "n1/dyn/n1",
        "n1/dyn/n2",
    ]


def test_outputs_rendered_by_type(browser: ConsoleClient, project: str, remote: Remote) -> None:
    record = remote.execute(wf(project, "outputs_by_type"), inputs={"n": 12}, wait=True)
    assert record.phase.value == "SUCCEEDED", record.error
    page = browser.get(f"/console/executions/{project}/development/{record.id.name}").text
    # the DataFrame: a link and a preview of its first rows; the file: a link to download it
    assert '<table class="frame">' in page and "<th>sq</th>" in page and "<td>121</td>" not in page
    assert "12 rows, 2 columns; first 10 shown" in page
    links = re.findall(r'href="(/console/blob\?uri=[^"]+)"', page)
    assert len(links) == 2
    files = [browser.get(link.replace("&amp;", "&")) for link in links]
    assert any(f.status_code == 200 and f.content == b"hello file" for f in files)
    outside = browser.get("/console/blob", params={"uri": "file:///etc/passwd"})
    assert outside.status_code == 404
