"""Fixtures of the server tests: a real server process per backend, shared by the session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from host_db import fresh_database
from live_server import BACKENDS, LiveServer, live, unique

from slipstream.server import Database


@pytest.fixture(scope="session", params=BACKENDS)
def server(request: pytest.FixtureRequest) -> LiveServer:
    """A running server on SQLite, then on PostgreSQL."""
    return live(request.param)


@pytest.fixture
def api(server: LiveServer) -> Iterator[httpx.Client]:
    """An HTTP client for ``{server}/api/v1``, authenticated as the server's admin."""
    with httpx.Client(
        base_url=f"{server.url}/api/v1", timeout=30, headers=server.headers
    ) as client:
        yield client


@pytest.fixture
def project(api: httpx.Client) -> str:
    """A fresh project on the server."""
    name = unique("p")
    assert api.post("/projects", json={"name": name}).status_code == 201
    return name


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A fresh migrated database without a server: a SQLite file, then a PostgreSQL database."""
    db = fresh_database(request.param, tmp_path)
    yield db
    db.dispose()
