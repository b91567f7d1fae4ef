"""Fixtures of the command tests: commands that talk to a live server use its admin token."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))


@pytest.fixture(autouse=True)
def server_token(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A test that uses the ``server`` fixture runs its commands with that server's token."""
    if "server" in request.fixturenames:
        live_server = request.getfixturevalue("server")
        monkeypatch.setenv("SLIPSTREAM_TOKEN", live_server.token)
