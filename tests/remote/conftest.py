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
