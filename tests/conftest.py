"""Fixtures shared by every test layer."""

from __future__ import annotations

import getpass
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def slipstream_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test runs with its own SLIPSTREAM_HOME (catalog, blobs, scratch). Servers that
    tests start run their workers as the test's own user, so that tasks may write where tests
    read (tests/server/test_worker_isolation.py starts servers with a worker user)."""
    home = tmp_path / "slipstream-home"
    monkeypatch.setenv("SLIPSTREAM_HOME", str(home))
    monkeypatch.setenv("SLIPSTREAM_WORKER_USER", getpass.getuser())
    monkeypatch.delenv("SLIPSTREAM_RUNNER", raising=False)
    return home


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A temporary folder other OS users may pass through and read (pytest's own are private
    to the user running the tests), for what a worker user must reach."""
    path = Path(tempfile.mkdtemp(prefix="slipstream-shared-"))
    os.chmod(path, 0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
