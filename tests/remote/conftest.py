"""Fixtures of the client tests: the shared live servers of tests/server/live_server.py."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from live_server import BACKENDS, LiveServer, live


@pytest.fixture(scope="session", params=BACKENDS)
def server(request: pytest.FixtureRequest) -> LiveServer:
    """A running server on SQLite, then on PostgreSQL."""
    return live(request.param)


@pytest.fixture(autouse=True)
def server_token(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests that use a server call it with its admin token (their home is not the server's)."""
    if "server" in request.fixturenames:
        live_server: LiveServer = request.getfixturevalue("server")
        monkeypatch.setenv("SLIPSTREAM_TOKEN", live_server.token)
