"""Fixtures of the console tests: one real server per module (tests/server/live_server.py),
a project with the console's example workflows registered, a browser-like HTTP client logged in
through the console's login page."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from live_server import LiveServer, live, unique

from slipstream.remote import Remote

FLOWS = (Path(__file__).parent / "flows.py").read_text()


@pytest.fixture(scope="module")
def server() -> LiveServer:
    """The shared SQLite server of this test process."""
    return live("sqlite")


@pytest.fixture(scope="session")
def project(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A project with ``flows.py`` registered (version v1), once per test process: its launch
    plan is named once per process, as in any program that imports the module."""
    server = live("sqlite")
    name = unique("con")
    root = tmp_path_factory.mktemp("flows")
    package = root / f"pkg_{name.replace('-', '_')}"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "flows.py").write_text(FLOWS)
    with Remote(server.url, project=name, token=server.token) as remote:
        remote.create_project(name)
        remote.register(package, version="v1")
    return name


@pytest.fixture
def remote(server: LiveServer, project: str) -> Iterator[Remote]:
    with Remote(server.url, project=project, token=server.token) as r:
        yield r


@pytest.fixture
def browser(server: LiveServer) -> Iterator[httpx.Client]:
    """An HTTP client that logged in through the console (its cookie holds the session)."""
    with httpx.Client(base_url=server.url, timeout=30, follow_redirects=False) as client:
        r = client.post("/console/login", data={"token": server.token, "next": "/console/projects"})
        assert r.status_code == 303, r.text
        yield client
