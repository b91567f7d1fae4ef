"""The console's walls over HTTP, on a real server with real executions: a form without the
session's CSRF token or from another origin (another port of the same host included) changes
nothing; each action checks the role on its own target; pages offer only what the caller may
do; every answer carries the security headers; login takes a small POST or a one-time link, and
a token in a URL logs no one in; project lists show only the caller's projects; DataFrame
previews read only the execution's own project and domain."""

from __future__ import annotations

import contextlib
import hashlib
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from console_client import ConsoleClient, csrf_of, flows_package, login_link
from live_server import LiveServer, child_env, cli_command, unique
from sqlalchemy import create_engine, text

from slipstream.remote import Remote

pytestmark = pytest.mark.timeout(120)


def wf(project: str, name: str) -> str:
    return f"pkg_{project.replace('-', '_')}.flows.{name}"


def api(server: LiveServer) -> httpx.Client:
    return httpx.Client(base_url=f"{server.url}/api/v1", headers=server.headers, timeout=30)


def count_executions(server: LiveServer, project: str, domain: str) -> int:
    with api(server) as c:
        r = c.get(f"/executions/{project}/{domain}", params={"limit": 500})
        assert r.status_code == 200, r.text
        return len(r.json()["items"])


def user_with(server: LiveServer, role: str, project: str, domain: str = "") -> str:
    """A new user holding ``role`` on ``project`` (``domain``), and a token of theirs."""
    name = unique(role)
    with Remote(server.url, token=server.token) as remote:
        remote.access.create_user(name)
        remote.access.grant(name, role, project, domain)
        return remote.access.create_token(user=name).token


@pytest.fixture(scope="module")
def other_project(server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A second project with the console's flows registered in its production domain (by the
    CLI, in a process of its own: launch plan names are once per process)."""
    name = unique("other")
    root = tmp_path_factory.mktemp("other")
    package = flows_package(root, name)
    with Remote(server.url, token=server.token) as remote:
        remote.create_project(name)
    done = subprocess.run(
        cli_command(
            "register",
            str(package),
            "--version",
            "v1",
            "-p",
            name,
            "-d",
            "production",
            "--endpoint",
            server.url,
            "--token",
            server.token,
        ),
        capture_output=True,
        text=True,
        env=child_env(root / "home"),
        cwd=root,
        timeout=90,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return name


@pytest.fixture
def running(server: LiveServer, project: str) -> Iterator[str]:
    """A running execution, waiting at a gate (aborted at the end)."""
    with Remote(server.url, project=project, token=server.token) as remote:
        record = remote.execute(wf(project, "gated"))
        deadline = time.monotonic() + 30
        while remote.fetch_execution(record.id.name).phase.value != "RUNNING":
            assert time.monotonic() < deadline, "the gated execution never ran"
            time.sleep(0.1)
        yield record.id.name
        with contextlib.suppress(Exception):  # already ended
            remote.terminate(record.id.name, "test over")


def phase_of(server: LiveServer, project: str, name: str) -> str:
    with Remote(server.url, project=project, token=server.token) as remote:
        return remote.fetch_execution(name).phase.value


def test_posts_without_the_csrf_token_or_from_another_origin_change_nothing(
    browser: ConsoleClient, server: LiveServer, project: str, running: str
) -> None:
    base = f"/console/executions/{project}/development/{running}"
    launch = f"/console/projects/{project}/development/launch_plans/quick_lp/launch"
    before = count_executions(server, project, "development")
    host = urlsplit(server.url)
    other_port = f"http://{host.hostname}:{(host.port or 80) + 1}"
    attempts = [
        {"csrf": None},  # no token
        {"csrf": "0" * 64},  # a token of no session
        {"origin": other_port},  # another port of the same host
        {"origin": f"https://{host.hostname}:{host.port}"},  # another scheme
        {"origin": "http://evil.example"},
        {"origin": "null"},  # an opaque origin, and no Referer
        {"origin": None},  # neither Origin nor Referer
    ]
    for extra in attempts:
        for url, data in ((f"{base}/abort", {}), (launch, {"x": "1", "label": "csrf"})):
            r = browser.post(url, data=data, **extra)  # type: ignore[arg-type]
            assert r.status_code == 403, (extra, url, r.text[:300])
            assert "CSRF" in r.text or "origin" in r.text.lower() or "Referer" in r.text
    # a Referer of another port is refused; the console's own is taken
    r = browser.post(f"{base}/abort", origin=None, headers={"Referer": f"{other_port}/x"})
    assert r.status_code == 403
    assert phase_of(server, project, running) == "RUNNING"
    assert count_executions(server, project, "development") == before
    r = browser.post(f"{base}/abort", origin=None, headers={"Referer": f"{server.url}{base}"})
    assert r.status_code == 303, r.text


def test_each_action_checks_its_own_target(
    server: LiveServer, project: str, other_project: str, running: str
) -> None:
    """A launcher of one project launches there, not into another project's production."""
    token = user_with(server, "launcher", project)
    before = count_executions(server, other_project, "production")
    with ConsoleClient(server.url, token) as launcher:
        into_other = f"/console/projects/{other_project}/production/launch_plans/quick_lp/launch"
        assert launcher.get(into_other).status_code == 403  # nor is the form offered
        r = launcher.post(into_other, data={"x": "1", "label": "x"})
        assert r.status_code == 403 and "launcher" in r.text, r.text[:300]
        assert count_executions(server, other_project, "production") == before
        # nor act on its executions: abort is checked on the execution's own project
        with Remote(
            server.url, project=other_project, domain="production", token=server.token
        ) as rm:
            theirs = rm.execute(wf(other_project, "gated"))
            r = launcher.post(
                f"/console/executions/{other_project}/production/{theirs.id.name}/abort"
            )
            assert r.status_code == 403
            assert rm.fetch_execution(theirs.id.name).phase.value in ("QUEUED", "RUNNING")
            rm.terminate(theirs.id.name, "test over")
        own = f"/console/projects/{project}/development/launch_plans/quick_lp/launch"
        r = launcher.post(own, data={"x": "1", "label": "own"})
        assert r.status_code == 303, r.text[:300]


def test_pages_offer_only_what_the_caller_may_do(
    server: LiveServer, project: str, running: str
) -> None:
    page = f"/console/executions/{project}/development/{running}"
    plan = f"/console/projects/{project}/development/launch_plans/quick_lp"
    with ConsoleClient(server.url, user_with(server, "viewer", project)) as viewer:
        for url in (page, plan):
            html = viewer.get(url).text
            assert 'id="abort"' not in html and 'id="relaunch"' not in html
            assert 'id="launch"' not in html
    with ConsoleClient(server.url, user_with(server, "launcher", project)) as launcher:
        html = launcher.get(page).text
        assert 'id="abort"' in html
        assert 'id="launch"' in launcher.get(plan).text


def test_every_answer_carries_the_security_headers(
    browser: ConsoleClient, server: LiveServer, project: str
) -> None:
    anonymous = httpx.Client(base_url=server.url, timeout=30)
    with anonymous:
        answers = [
            browser.get("/console/projects"),
            browser.get(f"/console/executions/{project}/development"),
            browser.get("/console/executions/nope/development/enope"),
            browser.get("/console/static/console.js"),
            browser.get("/console/static/favicon.svg"),
            anonymous.get("/console/login"),
            anonymous.get("/console/login/link?code=" + "x" * 43),
        ]
    for r in answers:
        csp = r.headers["content-security-policy"]
        for part in ("script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"):
            assert part in csp, (r.url, csp)
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] in ("same-origin", "no-referrer")
    assert answers[4].status_code == 200 and answers[4].text.startswith("<svg")
    assert 'rel="icon"' in answers[0].text
    # no template holds an inline script or event handler that the policy would block
    templates = Path(__file__).resolve().parents[2] / "src/slipstream/server/_console/templates"
    for template in templates.glob("*.html"):
        body = template.read_text()
        assert "<script>" not in body and " onclick=" not in body and " onsubmit=" not in body


def test_a_login_link_logs_in_once(server: LiveServer) -> None:
    token = user_with(server, "viewer", unique("nowhere"))
    link = login_link(server.url, token)
    assert urlsplit(link).path == "/console/login/link"
    with httpx.Client(timeout=30) as first, httpx.Client(timeout=30) as second:
        r = first.get(link)
        assert r.status_code == 303 and "slipstream_session=" in r.headers["set-cookie"]
        assert first.get(f"{server.url}/console/projects").status_code == 200
        r = second.get(link)  # used: refused, no session
        assert r.status_code == 401 and "not valid" in r.text
        assert "slipstream_session" not in r.headers.get("set-cookie", "")
        assert second.get(f"{server.url}/console/projects").status_code == 303
    # an expired link is refused too
    late = login_link(server.url, token)
    code = parse_qs(urlsplit(late).query)["code"][0]
    engine = create_engine(server.db_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE login_links SET expires_at = :t WHERE id = :id"),
                {"t": time.time() - 1, "id": hashlib.sha256(code.encode()).hexdigest()},
            )
    finally:
        engine.dispose()
    with httpx.Client(timeout=30) as client:
        assert client.get(late).status_code == 401
        assert client.get(f"{server.url}/console/projects").status_code == 303


def test_revoking_the_token_that_made_a_link_ends_its_session(server: LiveServer) -> None:
    token = user_with(server, "viewer", unique("nowhere"))
    with ConsoleClient(server.url, token) as browser:
        assert browser.get("/console/projects").status_code == 200
        with Remote(server.url, token=token) as remote:
            remote.access.revoke_token(token.split("_")[1])
        assert browser.get("/console/projects").status_code == 303


def test_login_takes_a_small_post_and_no_token_in_the_url(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        r = client.get(f"/console/login?token={server.token}&next=/console/projects")
        assert r.status_code == 200 and "login-link" in r.text
        assert "slipstream_session" not in r.headers.get("set-cookie", "")
        assert client.get("/console/projects").status_code == 303
        csrf = csrf_of(client.get("/console/login").text)
        own = {"Origin": server.url}
        big = {"token": "x" * (64 * 1024), "csrf": csrf}
        r = client.post("/console/login", data=big, headers=own)
        assert r.status_code == 413

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted while it streams
            yield f"csrf={csrf}&token=".encode()
            for _ in range(64):
                yield b"x" * 1024

        r = client.post(
            "/console/login",
            content=chunks(),
            headers={**own, "Content-Type": "application/x-www-form-urlencoded"},
        )
        assert r.status_code == 413
        assert client.get("/console/projects").status_code == 303
        # without the login page's CSRF token, or from elsewhere: refused
        good = {"token": server.token, "next": "/console/projects"}
        assert client.post("/console/login", data=good, headers=own).status_code == 403
        r = client.post(
            "/console/login", data={**good, "csrf": csrf}, headers={"Origin": "http://evil.example"}
        )
        assert r.status_code == 403
        assert client.get("/console/projects").status_code == 303


def test_project_lists_show_only_the_callers_projects(
    server: LiveServer, project: str, other_project: str
) -> None:
    token = user_with(server, "viewer", project)
    with Remote(server.url, token=token) as remote:
        names = {p.name for p in remote.list_projects()}
    assert project in names and other_project not in names
    with Remote(server.url, token=server.token) as admin:
        assert {project, other_project} <= {p.name for p in admin.list_projects(limit=500)}
    with ConsoleClient(server.url, token) as viewer:
        html = viewer.get("/console/projects").text
        assert f"/console/projects/{project}/development" in html
        assert other_project not in html


def test_a_dataframe_preview_reads_only_the_executions_own_data(
    browser: ConsoleClient, server: LiveServer, project: str, other_project: str
) -> None:
    """A value naming another project's blob is shown as text: never read, linked or previewed."""
    from slipstream.model import Kind, LiteralType
    from slipstream.server._console._render import owned_prefixes, render_value

    store = "file:///store"
    owned = owned_prefixes(store, project, "development")
    frame = LiteralType(Kind.DATASET)
    theirs = f"{store}/{other_project}/production/e1/n0/0/outputs/o0"
    html = str(render_value({"uri": theirs}, frame, owned))
    assert "<code>" in html and "/console/blob" not in html and "preview" not in html
    mine = f"{store}/{project}/development/e1/n0/0/outputs/o0"
    html = str(render_value({"uri": mine}, frame, owned))
    assert "/console/blob" in html and "no preview" in html  # read (it does not exist)
    sneaky = f"{store}/{project}/development/../../{other_project}/production/x"
    assert "/console/blob" not in str(render_value({"uri": sneaky}, frame, owned))


def test_the_cli_prints_a_login_link(server: LiveServer, tmp_path: Path) -> None:
    """``slipstream auth login-link --json`` prints a link that logs a browser in once."""
    import json

    token = user_with(server, "viewer", unique("nowhere"))
    done = subprocess.run(
        cli_command("auth", "login-link", "--endpoint", server.url, "--token", token, "--json"),
        capture_output=True,
        text=True,
        env=child_env(tmp_path),
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    url = json.loads(done.stdout)["url"]
    assert url.startswith(f"{server.url}/console/login/link?code=")
    with httpx.Client(timeout=30) as client:
        assert client.get(url).status_code == 303
        assert client.get(f"{server.url}/console/projects").status_code == 200
        assert client.get(url).status_code == 401


def test_logging_out_revokes_a_link_session(server: LiveServer) -> None:
    token = user_with(server, "viewer", unique("nowhere"))
    with ConsoleClient(server.url, token) as browser:
        session = browser.cookies["slipstream_session"]
        assert browser.post("/console/logout").status_code == 303
    with httpx.Client(base_url=f"{server.url}/api/v1", timeout=30) as c:
        r = c.get("/whoami", headers={"Authorization": f"Bearer {session}"})
        assert r.status_code == 401 and "revoked" in r.text
        # the token that made the link is still good
        assert c.get("/whoami", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_without_auth_forms_still_need_their_csrf_token(tmp_path: Path) -> None:
    from live_server import start_server

    server = start_server(
        "sqlite", f"sqlite:///{tmp_path / 'x.db'}", tmp_path / "home", "--no-auth"
    )
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            page = client.get("/console/projects")
            assert page.status_code == 200 and "slipstream_csrf=" in page.headers["set-cookie"]
            found = re.search(r'<meta name="csrf-token" content="([0-9a-f]+)">', page.text)
            assert found is not None
            form = {"csrf": found.group(1)}
            own = {"Origin": server.url}
            assert client.post("/console/logout", headers=own).status_code == 403
            assert client.post("/console/logout", data=form).status_code == 403
            r = client.post("/console/logout", data=form, headers={"Origin": "http://evil.example"})
            assert r.status_code == 403
            assert client.post("/console/logout", data=form, headers=own).status_code == 303
    finally:
        server.stop()


def test_a_second_session_cookie_cannot_key_the_csrf_token(
    browser: ConsoleClient, server: LiveServer, project: str, running: str
) -> None:
    """Another port of the host may set a cookie of the same name for a wider path: the browser
    sends the victim's first. The action is the victim's, so the attacker's own CSRF token
    (keyed by the attacker's session) must not pass for it."""
    attacker = ConsoleClient(server.url, user_with(server, "viewer", unique("nowhere")))
    with attacker:
        theirs, their_csrf = attacker.cookies["slipstream_session"], attacker.csrf
    victim = browser.cookies["slipstream_session"]
    base = f"/console/executions/{project}/development/{running}"
    with httpx.Client(base_url=server.url, timeout=30) as raw:
        r = raw.post(
            f"{base}/abort",
            data={"csrf": their_csrf},
            headers={
                "Origin": server.url,
                "Cookie": f"slipstream_session={victim}; slipstream_session={theirs}",
            },
        )
        assert r.status_code == 403, r.text[:300]
    assert phase_of(server, project, running) == "RUNNING"
