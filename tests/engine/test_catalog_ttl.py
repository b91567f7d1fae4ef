"""Cache entries that expire (``@task(cache_ttl=...)``): the task's metadata, the local catalog
(a SQLite file, also one made before entries could expire) and the in-memory one."""

from __future__ import annotations

import datetime
import sqlite3
from pathlib import Path

import pytest

from slipstream import task
from slipstream.engine import LocalCatalog, MemoryCatalog
from slipstream.errors import CompileError


@task(cache=True, cache_version="1", cache_ttl=datetime.timedelta(days=7))
def weekly(x: int) -> int:
    return x


def _never(x: int) -> int:
    return x


def test_cache_ttl_is_in_the_tasks_metadata() -> None:
    cache = weekly.template.metadata.cache
    assert cache is not None and cache.ttl_s == 7 * 86400.0
    with pytest.raises(CompileError, match="cache_ttl must be positive"):
        task(cache=True, cache_ttl=0)(_never)


class _Clock:
    """A wall clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize("kind", ["memory", "local"])
def test_an_entry_past_its_ttl_is_a_miss(kind: str, tmp_path: Path) -> None:
    clock = _Clock()
    catalog = (
        MemoryCatalog(clock) if kind == "memory" else LocalCatalog(tmp_path / "catalog.db", clock)
    )
    start = clock.now
    catalog.put("k", "t", {"o0": 1}, "src", ttl_s=10)
    catalog.put("forever", "t", {"o0": 2}, "src")
    clock.now = start + 9.5
    assert catalog.get("k") == {"o0": 1}
    clock.now = start + 10  # its expiry: gone from then on
    assert catalog.get("k") is None
    assert catalog.get("forever") == {"o0": 2}
    catalog.put("k", "t", {"o0": 3}, "src", ttl_s=60)  # a new run refills it
    assert catalog.get("k") == {"o0": 3}


def test_a_catalog_file_from_before_expiry_gets_the_column(tmp_path: Path) -> None:
    path = tmp_path / "catalog.db"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE cache (key TEXT PRIMARY KEY, task TEXT NOT NULL, outputs BLOB NOT NULL, "
            "source TEXT NOT NULL, created_at REAL NOT NULL)"
        )
        db.execute("INSERT INTO cache VALUES ('old', 't', '{\"o0\": 5}', 's', 0)")
    db.close()
    catalog = LocalCatalog(path)
    assert catalog.get("old") == {"o0": 5}
    catalog.put("new", "t", {"o0": 6}, "src", ttl_s=60)
    assert catalog.get("new") == {"o0": 6}
