"""Fixtures shared by every test layer."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def slipstream_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test runs with its own SLIPSTREAM_HOME (catalog, blobs, scratch)."""
    home = tmp_path / "slipstream-home"
    monkeypatch.setenv("SLIPSTREAM_HOME", str(home))
    monkeypatch.delenv("SLIPSTREAM_RUNNER", raising=False)
    return home
