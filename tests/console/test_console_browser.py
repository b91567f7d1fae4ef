"""The console in a real browser (Playwright driving Debian's Chromium) on a real server with real
executions: launching from the form (its per-field checks first), following a running execution
to its end, aborting, a failed node's traceback and log, recovering, and a 100,000-item map.
Screenshots of each go to ``$SLIPSTREAM_TEST_ARTIFACTS`` (else a temporary directory).

Chromium is installed with apt when ``/usr/bin/chromium`` is missing (CI machines start clean).
"""

from __future__ import annotations

import html
import http.server
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from big_execution import make_big_execution
from console_client import login_link
from live_server import LiveServer

from slipstream.remote import Remote

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
pytestmark = pytest.mark.timeout(180)


def _install_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    if shutil.which("apt-get") is None:
        pytest.fail("Chromium is missing and apt-get is not there to install it")
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*sudo, "apt-get", "update"], check=True, env=env, capture_output=True)
    subprocess.run(
        [*sudo, "apt-get", "install", "-y", "chromium"], check=True, env=env, capture_output=True
    )
    assert Path(CHROMIUM).exists()


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = os.environ.get("SLIPSTREAM_TEST_ARTIFACTS")
    path = Path(where) / "console" if where else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    _install_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Any, server: LiveServer) -> Iterator[Any]:
    """A page logged in by a one-time login link (its own browser context: its own cookies).
    No page may break its Content-Security-Policy: a violation fails the test."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    blocked: list[str] = []
    page.on(
        "console",
        lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto(login_link(server.url, server.token))
    page.wait_for_url("**/console/projects")
    yield page
    context.close()
    # (framing is refused on purpose: the test of another port's page frames the console)
    assert not [b for b in blocked if "frame-ancestors" not in b], blocked


def test_login_form_in_the_browser(chromium: Any, server: LiveServer) -> None:
    """The login form posts the token with its CSRF token from the console's own origin."""
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.goto(f"{server.url}/console/login?next=/console/projects")
        page.fill("input[name=token]", server.token)
        page.click("button[type=submit]")
        page.wait_for_url("**/console/projects")
        assert page.locator("#projects").count() == 1
    finally:
        context.close()


class _AttackerPage:
    """A plain HTTP server on another port of 127.0.0.1 serving the pages of ``pages``."""

    def __init__(self, pages: dict[str, str]) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = pages.get(self.path.split("?")[0], "").encode()
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _auto_post(action: str, fields: dict[str, str]) -> str:
    inputs = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in fields.items()
    )
    return (
        f'<!doctype html><form id="f" method="post" action="{html.escape(action)}">{inputs}'
        '</form><script>document.getElementById("f").submit()</script>'
    )


def test_a_page_on_another_port_cannot_abort_launch_or_frame(
    page: Any, server: LiveServer, project: str, artifacts: Path
) -> None:
    """The victim is logged in (the admin); a page served from another port of the same host
    posts to the console's abort and launch actions and frames the console: each is refused and
    nothing changes. (SameSite does not help here: another port is the same site.)"""
    console = server.url.replace("localhost", "127.0.0.1")
    with Remote(server.url, project=project, token=server.token) as remote:
        record = remote.execute(wf(project, "gated"))
        name = record.id.name
        deadline = time.monotonic() + 30
        while remote.fetch_execution(name).phase.value != "RUNNING":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        before = len(remote.recent_executions(limit=200))
        base = f"{console}/console/executions/{project}/development/{name}"
        launch = f"{console}/console/projects/{project}/development/launch_plans/quick_lp/launch"
        attacker = _AttackerPage(
            {
                "/abort": _auto_post(f"{base}/abort", {"cause": "csrf"}),
                "/launch": _auto_post(launch, {"x": "5", "label": "csrf", "csrf": "0" * 64}),
                "/frame": f'<!doctype html><iframe id="victim" src="{base}"></iframe>',
            }
        )
        answers: list[int] = []
        page.on(
            "response", lambda r: answers.append(r.status) if r.request.method == "POST" else None
        )
        try:
            for path in ("/abort", "/launch"):
                answers.clear()
                page.goto(f"{attacker.url}{path}")
                deadline = time.monotonic() + 15
                while not answers and time.monotonic() < deadline:
                    page.wait_for_timeout(100)
                assert answers == [403], (path, answers)
                page.screenshot(path=str(artifacts / f"csrf-refused-{path[1:]}.png"))
            page.goto(f"{attacker.url}/frame")
            page.wait_for_timeout(1000)
            framed = [f for f in page.frames if f != page.main_frame]
            assert framed, "the attacker's page has no frame"
            for f in framed:  # the browser refused to show the console in the frame
                assert f.url.startswith("chrome-error://") or f.locator("header.top").count() == 0
            assert remote.fetch_execution(name).phase.value == "RUNNING"
            assert len(remote.recent_executions(limit=200)) == before
        finally:
            attacker.close()
            remote.terminate(name, "test over")


def wf(project: str, name: str) -> str:
    return f"pkg_{project.replace('-', '_')}.flows.{name}"


def test_launch_from_the_form_and_follow_to_the_end(
    page: Any, server: LiveServer, project: str, artifacts: Path
) -> None:
    page.click(f"a[href='/console/projects/{project}/development']")
    page.click("a:text('quick_lp')")
    page.wait_for_selector("#graph svg g[data-node='n1']")  # the workflow's graph, laid out
    page.click("#launch")
    page.fill("#in-x", "three")
    page.fill("#in-label", "from the browser")
    page.click("#submit-launch")
    # checked in the browser: nothing sent, the field says what is wrong
    assert page.text_content("#err-x") == "x: a whole number, such as 42"
    assert "/launch" in page.url
    page.screenshot(path=str(artifacts / "launch-form-error.png"))
    page.fill("#in-x", "4")
    page.click("#submit-launch")
    page.wait_for_url("**/console/executions/**")
    page.wait_for_selector(".exec-header .phase[data-phase='SUCCEEDED']", timeout=60_000)
    page.wait_for_selector("#graph svg g[data-node='n1'][data-phase='SUCCEEDED']")
    assert "16" in page.text_content("body")  # double(double(4)), after the page reloaded
    page.screenshot(path=str(artifacts / "execution-succeeded.png"), full_page=True)


def test_follow_a_running_execution_and_its_log(
    page: Any, server: LiveServer, project: str, artifacts: Path
) -> None:
    with Remote(server.url, project=project, token=server.token) as remote:
        record = remote.execute(wf(project, "sleepy"), inputs={"seconds": 3.0})
    page.goto(f"{server.url}/console/executions/{project}/development/{record.id.name}")
    page.wait_for_selector("#node-rows tr[data-path='n0']")
    page.wait_for_selector(".exec-header .phase[data-phase='RUNNING']")
    page.wait_for_selector("#graph svg g[data-node='n0'][data-phase='RUNNING']")
    page.click("#node-rows tr[data-path='n0'] a")
    page.wait_for_selector("#node-detail[data-path], #node-detail .node-detail")
    page.screenshot(path=str(artifacts / "execution-running.png"), full_page=True)
    # the log panel asks for the attempt's log until it is there (the engine records an
    # attempt when it ends) and follows it while it grows
    page.wait_for_selector("#log .log-text:has-text('tick 29')", timeout=60_000)
    page.wait_for_selector(".exec-header .phase[data-phase='SUCCEEDED']", timeout=60_000)
    page.wait_for_selector("#graph svg g[data-node='n0'][data-phase='SUCCEEDED']")


def test_abort_a_running_execution(
    page: Any, server: LiveServer, project: str, artifacts: Path
) -> None:
    with Remote(server.url, project=project, token=server.token) as remote:
        record = remote.execute(wf(project, "sleepy"), inputs={"seconds": 60.0})
        page.goto(f"{server.url}/console/executions/{project}/development/{record.id.name}")
        page.wait_for_selector(".exec-header .phase[data-phase='RUNNING']", timeout=60_000)
        page.once("dialog", lambda d: d.accept())
        page.click("#abort")
        page.wait_for_selector(".exec-header .phase[data-phase='ABORTED']", timeout=60_000)
        page.screenshot(path=str(artifacts / "execution-aborted.png"), full_page=True)
        assert remote.fetch_execution(record.id.name).phase.value == "ABORTED"


def test_failed_node_traceback_log_and_recover(
    page: Any, server: LiveServer, project: str, artifacts: Path
) -> None:
    with Remote(server.url, project=project, token=server.token) as remote:
        record = remote.execute(wf(project, "failing"), wait=True)
    page.goto(f"{server.url}/console/executions/{project}/development/{record.id.name}")
    assert "cannot take 2" in page.text_content("#execution-error")
    page.click("#node-rows tr[data-path='n1'] a")
    page.wait_for_selector("#node-detail .traceback:has-text('ValueError')")
    page.wait_for_selector("#log h4")
    page.screenshot(path=str(artifacts / "failed-node.png"), full_page=True)
    page.click("#recover")
    page.wait_for_url(lambda url: record.id.name not in url)
    page.wait_for_selector(".exec-header:has-text('recover of')")
    page.wait_for_selector(".exec-header .phase[data-phase='FAILED']", timeout=60_000)


def test_a_map_of_100000_items(
    page: Any, server: LiveServer, project: str, artifacts: Path
) -> None:
    name = make_big_execution(server.db_url, str(server.home), project, running=False)
    t = time.perf_counter()
    page.goto(f"{server.url}/console/executions/{project}/development/{name}")
    page.wait_for_selector("#node-rows tr[data-path='n1']")
    page.wait_for_selector("#graph svg g[data-node='n1'][data-phase='FAILED']")
    page.wait_for_selector("#gantt svg rect")
    loaded = time.perf_counter() - t
    page.click("#node-rows tr[data-path='n1'] button.expand")
    page.wait_for_selector("#items tbody tr")
    counts = page.text_content(".phase-counts")
    assert "SUCCEEDED" in counts and "FAILED" in counts and "ABORTED" in counts
    page.click(".phase-counts a[data-phase='FAILED']")
    page.wait_for_selector("#items tbody tr:first-child .phase[data-phase='FAILED']")
    assert page.locator("#items tbody tr").count() == 50  # a page, never every item
    page.click("#items tbody tr:first-child a")
    page.wait_for_selector("#node-detail .traceback:has-text('odd luck')")
    page.screenshot(path=str(artifacts / "map-100000.png"), full_page=True)
    assert loaded < 10, f"the page took {loaded:.1f} s"


def test_graph_nodes_open_their_node_at_an_address_of_its_own(
    page: Any, server: LiveServer, project: str, artifacts: Path
) -> None:
    with Remote(server.url, project=project, token=server.token) as remote:
        record = remote.execute(wf(project, "quick"), inputs={"x": 5}, wait=True)
    base = f"{server.url}/console/executions/{project}/development/{record.id.name}"
    page.goto(base)
    page.click("#graph svg g[data-node='n1']")
    page.wait_for_selector("#node-detail .node-detail[data-path='n1']")
    assert page.url == f"{base}?node=n1"
    assert "20" in page.text_content("#node-outputs")  # double(10), rendered as a value
    # the address opens the page with that node shown
    page.goto(f"{base}?node=n0")
    page.wait_for_selector("#node-detail .node-detail[data-path='n0']")
    page.wait_for_selector("#graph svg g.selected[data-node='n0']")
    assert page.text_content("#node-detail h3").startswith("double")
    # the list's names are links to the same addresses
    page.click("#graph svg g[data-node='n1']")
    page.wait_for_selector("#graph svg g.selected[data-node='n1']")
    assert page.locator("#graph svg g.selected").count() == 1
    page.click("#node-rows tr[data-path='n0'] a.node-name")
    page.wait_for_selector("#node-detail .node-detail[data-path='n0']")
    assert page.url == f"{base}?node=n0"
    page.click("#node-rows tr[data-path='n1'] a.node-name")
    page.wait_for_selector("#node-detail .node-detail[data-path='n1']")
    assert page.url == f"{base}?node=n1"
    # on a workflow's page, a node opens the page of the task it runs
    page.goto(
        f"{server.url}/console/projects/{project}/development/workflows/{wf(project, 'quick')}"
    )
    page.click("#graph svg g[data-node='n0']")
    page.wait_for_url("**/tasks/**")
    assert page.text_content("h1").startswith(wf(project, "double"))


def test_relaunch_opens_the_form_filled_in_and_checks_before_sending(
    page: Any, server: LiveServer, project: str, artifacts: Path
) -> None:
    page.goto(f"{server.url}/console/projects/{project}/development/launch_plans/quick_lp")
    page.click("#launch")
    page.fill("#in-x", "9")
    page.fill("#in-label", "first")
    page.fill("#in-labels", "team=ml")
    page.click("#submit-launch")
    page.wait_for_url("**/console/executions/**")
    page.wait_for_selector(".exec-header .phase[data-phase='SUCCEEDED']", timeout=60_000)
    first = page.url
    page.click("#relaunch")
    page.wait_for_url("**/launch?**")
    assert page.input_value("#in-x") == "9" and page.input_value("#in-label") == "first"
    assert page.input_value("#in-labels") == "team=ml"
    assert page.input_value("#in-version") == "v1"
    # what the server would refuse is refused before sending, next to its field
    page.fill("#in-x", str(2**70))
    page.fill("#in-labels", "team")
    page.click("#submit-launch")
    assert page.text_content("#err-x") == "x: a whole number of at most 64 bits"
    assert page.text_content("#err-labels") == "labels: 'team' is not key=value"
    assert "/launch" in page.url
    page.screenshot(path=str(artifacts / "relaunch-form.png"), full_page=True)
    page.fill("#in-x", "10")
    page.fill("#in-labels", "team=ml")
    page.click("#submit-launch")
    page.wait_for_url(lambda url: "/console/executions/" in url and url != first)
    page.wait_for_selector(".exec-header .phase[data-phase='SUCCEEDED']", timeout=60_000)
    assert "from the browser" not in page.text_content("body")
    assert "40" in page.text_content("body")  # double(double(10))


def test_pages_do_not_scroll_sideways(
    chromium: Any, server: LiveServer, project: str, artifacts: Path
) -> None:
    """At the width of a small laptop window, no page is wider than the window: wide tables
    scroll in their own box and long names wrap."""
    with Remote(server.url, project=project, token=server.token) as remote:
        records = remote.execute(wf(project, "records"), inputs={"n": 30}, wait=True)
        frames = remote.execute(wf(project, "outputs_by_type"), inputs={"n": 3}, wait=True)
    context = chromium.new_context(viewport={"width": 820, "height": 900})
    try:
        page = context.new_page()
        page.goto(login_link(server.url, server.token))
        page.wait_for_url("**/console/projects")
        base = f"{server.url}/console"
        pages = {
            "execution-records": f"{base}/executions/{project}/development/{records.id.name}?node=n0",
            "execution-frames": f"{base}/executions/{project}/development/{frames.id.name}",
            "executions": f"{base}/executions/{project}/development",
            "launch-plan": f"{base}/projects/{project}/development/launch_plans/pinned_lp",
            "launch-form": f"{base}/projects/{project}/development/launch_plans/quick_lp/launch",
            "clusters": f"{base}/clusters",
            "workflow": f"{base}/projects/{project}/development/workflows/{wf(project, 'nested')}",
        }
        for shot, url in pages.items():
            page.goto(url)
            page.wait_for_load_state("networkidle")
            if "?node=" in url:
                page.wait_for_selector("#node-detail .node-detail")
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= 820, (shot, wide)
            page.screenshot(path=str(artifacts / f"narrow-{shot}.png"), full_page=True)
        assert page.locator("table.records").count() == 0  # (the last page: a workflow)
    finally:
        context.close()
