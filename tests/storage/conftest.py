from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from slipstream.storage import BlobStore, open_store


@pytest.fixture(params=["local", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    """A local store in tmp_path and a fresh memory:// store."""
    if request.param == "local":
        return open_store(str(tmp_path / "store"))
    return open_store(f"memory://test-{uuid.uuid4().hex}")
