"""Fixtures of the console tests: one real server per module (tests/server/live_server.py),
a project with the console's example workflows registered, a browser-like HTTP client logged in
with a one-time login link."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from console_client import ConsoleClient, flows_package
from live_server import LiveServer, live, unique

from slipstream.remote import Remote


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
    package = flows_package(tmp_path_factory.mktemp("flows"), name)
    with Remote(server.url, project=name, token=server.token) as remote:
        remote.create_project(name)
        remote.register(package, version="v1")
    return name


@pytest.fixture
def remote(server: LiveServer, project: str) -> Iterator[Remote]:
    with Remote(server.url, project=project, token=server.token) as r:
        yield r


@pytest.fixture
def browser(server: LiveServer) -> Iterator[ConsoleClient]:
    """An HTTP client that logged in with a one-time login link (its cookie holds the session);
    its posts carry the console's Origin and CSRF token, as the console's pages do."""
    with ConsoleClient(server.url, server.token) as client:
        yield client
