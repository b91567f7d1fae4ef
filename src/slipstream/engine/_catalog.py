"""Cache catalogs and cache keys.

A cache key is made of the project, the domain, the task's name, its cache version, the signature of
its interface and the content hash of its inputs (without the ignored ones). Blob inputs (files,
DataFrames...) are hashed by content, so that the same data under another path is a hit.
"""

from __future__ import annotations

import hashlib
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from slipstream._processes import pid_alive, process_start
from slipstream.model import Node, TaskTemplate, decode, encode, hash_literals

__all__ = [
    "LocalCatalog",
    "MemoryCatalog",
    "cache_key",
    "cache_key_prefix",
    "cache_ttl_of",
    "cache_version_of",
]


def cache_key_prefix(project: str, domain: str, task: TaskTemplate, version: str) -> bytes:
    """The part of a cache key that does not depend on the inputs (computed once per task)."""
    return (
        f"{project}\x00{domain}\x00{task.id.name}\x00{version}\x00{task.interface.signature()}\x00"
    ).encode()


def cache_key(
    project: str,
    domain: str,
    task: TaskTemplate,
    version: str,
    inputs: dict[str, Any],
    prefix: bytes | None = None,
) -> str:
    """The catalog key of one call of ``task`` with ``inputs`` (literals, blob hashes filled in).

    ``prefix`` is :func:`cache_key_prefix` of the same arguments, when the caller keeps it.
    """
    cache = task.metadata.cache
    ignore = cache.ignore_inputs if cache is not None else ()
    if ignore:
        inputs = {k: v for k, v in inputs.items() if k not in ignore}
    h = hashlib.sha256(prefix or cache_key_prefix(project, domain, task, version))
    h.update(hash_literals(inputs).encode())
    return h.hexdigest()


def cache_version_of(node: Node, task: TaskTemplate) -> str | None:
    """The cache version a call of ``task`` at ``node`` uses, or None when it is not cached."""
    o = node.overrides
    spec = task.metadata.cache
    if o.cache is False:
        return None
    if o.cache_version:
        return o.cache_version
    if spec is not None:
        return spec.version
    if o.cache:
        return "override"
    return None


def cache_ttl_of(task: TaskTemplate) -> float | None:
    """How long ``task``'s cached outputs stay a hit (None: until evicted)."""
    return task.metadata.cache.ttl_s if task.metadata.cache is not None else None


def _expiry(ttl_s: float | None, now: float) -> float | None:
    return None if ttl_s is None else now + ttl_s


class MemoryCatalog:
    """A catalog that lives as long as the process (tests, benchmarks). ``clock`` tells the time
    entries and reservations expire by (wall-clock seconds)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._data: dict[str, tuple[dict[str, Any], float | None]] = {}
        self._reservations: dict[str, tuple[str, float]] = {}

    def reserve(self, key: str, owner: str, ttl_s: float) -> bool:
        held = self._reservations.get(key)
        now = self._clock()
        if held is not None and held[0] != owner and held[1] > now:
            return False
        self._reservations[key] = (owner, now + ttl_s)
        return True

    def release(self, key: str, owner: str) -> None:
        if self._reservations.get(key, ("", 0.0))[0] == owner:
            del self._reservations[key]

    def get(self, key: str) -> dict[str, Any] | None:
        found = self._data.get(key)
        if found is None or (found[1] is not None and found[1] <= self._clock()):
            return None
        return found[0]

    def put(
        self,
        key: str,
        task: str,
        outputs: dict[str, Any],
        source: str,
        ttl_s: float | None = None,
    ) -> None:
        self._data[key] = (outputs, _expiry(ttl_s, self._clock()))

    def delete(self, key: str) -> None:
        self._data.pop(key, None)


_CACHE_TABLE = (
    "CREATE TABLE IF NOT EXISTS cache (key TEXT PRIMARY KEY, task TEXT NOT NULL, "
    "outputs BLOB NOT NULL, source TEXT NOT NULL, created_at REAL NOT NULL, expires_at REAL)"
)
_RESERVATION_TABLE = (
    "CREATE TABLE IF NOT EXISTS reservation (key TEXT PRIMARY KEY, "
    "owner TEXT NOT NULL, expires_at REAL NOT NULL, "
    "host TEXT NOT NULL DEFAULT '', pid INTEGER NOT NULL DEFAULT 0, "
    "started TEXT NOT NULL DEFAULT '')"
)
# files made before reservations recorded their holder's process get its columns
_HOLDER_COLUMNS = (
    "ALTER TABLE reservation ADD COLUMN host TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE reservation ADD COLUMN pid INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE reservation ADD COLUMN started TEXT NOT NULL DEFAULT ''",
)
# and cache entries made before entries could expire get theirs (NULL: never)
_EXPIRY_COLUMN = "ALTER TABLE cache ADD COLUMN expires_at REAL"
_HAS_SCHEMA = (
    "SELECT (SELECT count(*) FROM sqlite_master WHERE type = 'table' "
    "AND name IN ('cache', 'reservation')) + "
    "(SELECT count(*) FROM pragma_table_info('reservation') WHERE name = 'started') + "
    "(SELECT count(*) FROM pragma_table_info('cache') WHERE name = 'expires_at')"
)


_own: tuple[int, str] | None = None


def _own_start() -> str:
    """This process's start time (computed once per process; a fork gets its own)."""
    global _own
    pid = os.getpid()
    if _own is None or _own[0] != pid:
        _own = (pid, process_start(pid))
    return _own[1]


def holder_alive(host: str, pid: int, started: str) -> bool:
    """Whether the process that took a reservation still runs. Only a process of this machine
    can be checked; for others (a catalog on a shared disk) the reservation's expiry decides."""
    if not pid or host != socket.gethostname():
        return True
    return pid_alive(pid, started)


class LocalCatalog:
    """A catalog in a SQLite file (``$SLIPSTREAM_HOME/catalog.db``), shared by local processes.

    A ``cache_serialize`` reservation records the process that holds it (host, pid and start
    time): when that process has died (a killed ``slipstream run``), the next run takes the
    reservation over at once instead of waiting for it to expire. ``clock`` tells the time
    entries and reservations expire by (wall-clock seconds, shared by every process of the file).
    """

    def __init__(self, path: str | Path, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.execute("PRAGMA synchronous=NORMAL")
            # the schema is made once per file (WAL mode persists in it): skip it when present
            if db.execute(_HAS_SCHEMA).fetchone()[0] < 4:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute(_CACHE_TABLE)
                db.execute(_RESERVATION_TABLE)
                columns = {r[1] for r in db.execute("PRAGMA table_info(reservation)")}
                alters = [a for a in _HOLDER_COLUMNS if a.split()[5] not in columns]
                if not any(r[1] == "expires_at" for r in db.execute("PRAGMA table_info(cache)")):
                    alters.append(_EXPIRY_COLUMN)
                for alter in alters:
                    try:
                        db.execute(alter)
                    except sqlite3.OperationalError as e:  # another process added it
                        if "duplicate column" not in str(e):
                            raise
            self._local.db = db
        return db

    def get(self, key: str) -> dict[str, Any] | None:
        row = (
            self._db()
            .execute(
                "SELECT outputs FROM cache WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)",
                (key, self._clock()),
            )
            .fetchone()
        )
        if row is None:
            return None
        out: dict[str, Any] = decode(row[0], dict[str, Any])
        return out

    def put(
        self,
        key: str,
        task: str,
        outputs: dict[str, Any],
        source: str,
        ttl_s: float | None = None,
    ) -> None:
        now = self._clock()
        self._db().execute(
            "INSERT OR REPLACE INTO cache (key, task, outputs, source, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (key, task, encode(outputs), source, now, _expiry(ttl_s, now)),
        )

    def delete(self, key: str) -> None:
        self._db().execute("DELETE FROM cache WHERE key = ?", (key,))

    def reserve(self, key: str, owner: str, ttl_s: float) -> bool:
        now = self._clock()
        db = self._db()
        with db:  # one transaction: take the key if it is free, ours, expired or its holder died
            db.execute("BEGIN IMMEDIATE")
            row = db.execute(
                "SELECT owner, expires_at, host, pid, started FROM reservation WHERE key = ?",
                (key,),
            ).fetchone()
            if (
                row is not None
                and row[0] != owner
                and row[1] > now
                and holder_alive(row[2], row[3], row[4])
            ):
                return False
            pid = os.getpid()
            db.execute(
                "INSERT OR REPLACE INTO reservation (key, owner, expires_at, host, pid, started) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (key, owner, now + ttl_s, socket.gethostname(), pid, _own_start()),
            )
        return True

    def release(self, key: str, owner: str) -> None:
        self._db().execute("DELETE FROM reservation WHERE key = ? AND owner = ?", (key, owner))

    def clear(self, task: str | None = None) -> int:
        """Remove every entry (of one task); returns how many."""
        if task is None:
            cur = self._db().execute("DELETE FROM cache")
        else:
            cur = self._db().execute("DELETE FROM cache WHERE task = ?", (task,))
        return cur.rowcount
