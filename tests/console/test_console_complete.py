"""What a Flyte user expects of the console, over HTTP on a real server with real executions:
values by their type (tables for records, *none* for an empty optional, never a union's
wrapper), nodes named by their task with an address of their own, Relaunch opening the launch
form with the old inputs, a launch plan's own inputs and schedule, the launch form's version and
labels, the server's refusal next to its field, an aborted execution's outputs, a running node's
inputs and a recovered node's own duration."""

from __future__ import annotations

import re
import time

from console_client import ConsoleClient
from live_server import LiveServer
from test_console_pages import wait_phase, wf

from slipstream.model import Field, Kind, LiteralType
from slipstream.remote import Remote
from slipstream.server._console._values import MAX_ROWS, render_value

_INT = LiteralType(Kind.INT)
_STR = LiteralType(Kind.STR)
_POINT = LiteralType(
    Kind.STRUCT, fields=(Field("x", _INT), Field("name", _STR)), name="flows.Point"
)
_OPT = LiteralType(Kind.UNION, args=(_STR, LiteralType(Kind.NONE)))


def test_values_by_type_without_the_wire_format() -> None:
    records = str(
        render_value(
            [{"x": 1, "name": "a"}, {"x": 2, "name": "b"}], LiteralType(Kind.LIST, args=(_POINT,))
        )
    )
    assert '<table class="records">' in records and "<th>x</th><th>name</th>" in records
    assert '<td><code>2</code></td><td><span class="str">b</span></td>' in records
    assert "none" in str(render_value({"$u": "none", "v": None}, _OPT))
    assert str(render_value({"$u": "str", "v": "hi"}, _OPT)) == '<span class="str">hi</span>'
    struct = str(render_value({"x": 3, "name": "<b>"}, _POINT))
    assert '<table class="record">' in struct and "&lt;b&gt;" in struct  # escaped
    # without a type (a node's values), by shape: the union's wrapper is never shown
    shaped = str(render_value({"$u": "list[int]", "v": [{"a": {"$u": "none", "v": None}}]}, None))
    assert "$u" not in shaped and '<table class="records">' in shaped and "none" in shaped
    many = str(render_value(list(range(500)), LiteralType(Kind.LIST, args=(_INT,))))
    assert f"first {MAX_ROWS} of 500 shown" in many and "499" not in many
    deep: object = 1
    for _ in range(50):
        deep = {"k": deep}
    assert "<pre>" in str(render_value(deep, None))  # bounded nesting


def test_records_and_an_empty_optional_on_the_execution_and_node_pages(
    browser: ConsoleClient, project: str, remote: Remote
) -> None:
    record = remote.execute(wf(project, "records"), inputs={"n": 3}, wait=True)
    assert record.phase.value == "SUCCEEDED", record.error
    base = f"/console/executions/{project}/development/{record.id.name}"
    page = browser.get(base).text
    assert "$u" not in page and '"v":' not in page
    assert '<table class="records">' in page and "<th>x</th><th>name</th>" in page
    assert '<span class="str">p2</span>' in page
    assert '<span class="muted none">none</span>' in page  # o1, the empty optional
    assert '<table class="record">' in page  # o2, one record
    node = browser.get(f"{base}/node", params={"path": "n0"}).text
    assert "$u" not in node and '<table class="records">' in node
    assert re.search(r"<th>tag</th><td class=\"type\">str \| none</td>", node), node


def test_dynamic_children_are_named_by_their_task(
    browser: ConsoleClient, project: str, remote: Remote
) -> None:
    record = remote.execute(wf(project, "nested"), inputs={"n": 2}, wait=True)
    base = f"/console/executions/{project}/development/{record.id.name}"
    top = browser.get(f"{base}/nodes").text
    assert re.findall(r'class="node-name">([^<]+)<', top) == ["quick", "fan"]
    dyn = browser.get(f"{base}/nodes", params={"parent": "n1", "depth": "1"}).text
    assert re.findall(r'class="node-name">([^<]+)<', dyn) == ["double", "double"]
    assert '<span class="muted path">n1/dyn/n0</span>' in dyn


def test_each_node_has_an_address_of_its_own(
    browser: ConsoleClient, project: str, remote: Remote
) -> None:
    record = remote.execute(wf(project, "quick"), inputs={"x": 1}, wait=True)
    base = f"/console/executions/{project}/development/{record.id.name}"
    rows = browser.get(f"{base}/nodes").text
    assert f'href="{base}?node=n1"' in rows and f'hx-push-url="{base}?node=n1"' in rows
    page = browser.get(base, params={"node": "n1"}).text
    assert f'hx-get="{base}/node?path=n1" hx-trigger="load"' in page
    assert f'data-base="{base}"' in page  # the graph's nodes open their node
    detail = browser.get(f"{base}/node", params={"path": "n1"}).text
    assert f'href="{base}?node=n1"' in detail


def test_relaunch_opens_the_form_with_the_old_inputs(
    browser: ConsoleClient, project: str, remote: Remote
) -> None:
    form = f"/console/projects/{project}/development/launch_plans/quick_lp/launch"
    first = browser.post(form, data={"x": "11", "label": "old <one>", "__labels": "team=ml"})
    assert first.status_code == 303, first.text
    old = first.headers["location"].rsplit("/", 1)[1]
    page = browser.get(f"/console/executions/{project}/development/{old}").text
    link = re.search(r'<a class="button" id="relaunch" href="([^"]+)"', page)
    assert link is not None
    relaunch = browser.get(link.group(1).replace("&amp;", "&"))
    assert relaunch.status_code == 200
    assert 'id="in-x" name="x" value="11"' in relaunch.text
    assert 'value="old &lt;one&gt;"' in relaunch.text and 'value="team=ml"' in relaunch.text
    assert f'name="__from" value="{old}"' in relaunch.text
    again = browser.post(
        form, data={"x": "11", "label": "old <one>", "__labels": "team=ml", "__from": old}
    )
    new = again.headers["location"].rsplit("/", 1)[1]
    assert new != old and wait_phase(remote, new, {"SUCCEEDED"}) == "SUCCEEDED"
    assert remote.fetch_execution(new).spec.labels == {"team": "ml"}
    assert remote.outputs(new)["o0"] == 44


def test_a_launch_plans_page_shows_its_own_inputs_and_schedule(
    browser: ConsoleClient, project: str
) -> None:
    page = browser.get(f"/console/projects/{project}/development/launch_plans/pinned_lp").text
    label = re.search(r'<tr data-input="label">.*?</tr>', page, re.S)
    x = re.search(r'<tr data-input="x">.*?</tr>', page, re.S)
    assert label and 'class="how">fixed' in label.group(0) and "pinned label" in label.group(0)
    assert x and 'class="how">default' in x.group(0) and "<code>5</code>" in x.group(0)
    assert 'id="schedule"' in page and "every 6h 00m 00s" in page
    assert 'id="lp-workflow"' in page and ".flows.quick" in page
    # the form shows the fixed input as fixed, not as a field
    form = browser.get(f"/console/projects/{project}/development/launch_plans/pinned_lp/launch")
    assert 'name="label"' not in form.text and 'id="fixed-inputs"' in form.text


def test_a_viewer_sees_a_launch_plans_schedule_and_inputs_but_no_launch(
    server: LiveServer, project: str, remote: Remote
) -> None:
    user = f"lpviewer{project[-8:]}"
    remote.access.create_user(user)
    remote.access.grant(user, "viewer", project)
    token = remote.access.create_token(user=user).token
    with ConsoleClient(server.url, token) as client:
        page = client.get(f"/console/projects/{project}/development/launch_plans/pinned_lp").text
        assert 'id="schedule"' in page and 'id="launch-inputs"' in page
        assert 'id="launch"' not in page and 'id="activate"' not in page
        execution = remote.execute(wf(project, "quick"), inputs={"x": 1}, wait=True)
        shown = client.get(f"/console/executions/{project}/development/{execution.id.name}")
        assert 'id="relaunch"' not in shown.text
        form = client.get(
            f"/console/projects/{project}/development/launch_plans/quick_lp/launch",
            params={"from": execution.id.name},
        )
        assert form.status_code == 403 and 'name="x"' not in form.text


def test_launch_options_and_the_servers_refusal_next_to_its_field(
    browser: ConsoleClient, project: str, remote: Remote
) -> None:
    form = f"/console/projects/{project}/development/launch_plans/quick_lp/launch"
    page = browser.get(form).text
    assert re.search(r'<select id="in-version" name="__version"[^>]*>\s*<option selected>v1<', page)
    listing = f"/console/executions/{project}/development"
    before = browser.get(listing, params={"launch_plan": "quick_lp", "limit": "200"}).text
    bad = browser.post(form, data={"x": "1", "label": "a", "__labels": "no-equals"})
    assert bad.status_code == 422
    assert "labels: &#39;no-equals&#39; is not key=value" in bad.text
    huge = browser.post(form, data={"x": str(2**70), "label": "a"})
    assert huge.status_code == 422
    err = re.search(r'id="err-x">([^<]+)<', huge.text)
    assert err is not None and "64" in err.group(1), huge.text
    after = browser.get(listing, params={"launch_plan": "quick_lp", "limit": "200"}).text
    assert after.count("<tr>") == before.count("<tr>")  # nothing was launched


def test_aborted_outputs_running_inputs_and_a_recovered_nodes_duration(
    browser: ConsoleClient, project: str, remote: Remote
) -> None:
    record = remote.execute(wf(project, "sleepy"), inputs={"seconds": 30.0})
    name = record.id.name
    base = f"/console/executions/{project}/development/{name}"
    wait_phase(remote, name, {"RUNNING"})
    deadline = time.monotonic() + 30
    while "<code>30.0</code>" not in browser.get(f"{base}/node", params={"path": "n0"}).text:
        assert time.monotonic() < deadline, "the running node never showed its inputs"
        time.sleep(0.2)
    remote.terminate(name, "enough")
    assert wait_phase(remote, name, {"ABORTED"}) == "ABORTED"
    assert 'id="outputs-aborted">none: the execution was aborted' in browser.get(base).text

    failed = remote.execute(wf(project, "failing"), wait=True)
    time.sleep(1.2)  # the recover starts well after the first double ran
    r = browser.post(f"/console/executions/{project}/development/{failed.id.name}/recover")
    again = r.headers["location"].rsplit("/", 1)[1]
    assert wait_phase(remote, again, {"FAILED"}) == "FAILED"
    rows = browser.get(f"/console/executions/{project}/development/{again}/nodes").text
    first = re.search(r'data-path="n0".*?</tr>', rows, re.S)
    assert first is not None and "recovered" in first.group(0)
    ran = re.findall(r"<td>([^<]*) <span class=\"muted recovered\"", first.group(0))
    assert ran and ran[0].endswith("ms"), ran  # its own run, not the time since it ran
