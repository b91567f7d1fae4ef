"""The shared cache on the server: the engine's :class:`~slipstream.engine.Catalog` over the database.

One catalog serves every execution of an engine host; entries are shared by all executions of a
project and domain (the cache key hashes both, so one table holds every project's entries). New
entries are buffered and written by :func:`~._flush.flush` in the transaction of the step that
produced them; ``cache_serialize`` reservations are taken at once, atomically, because two engine
hosts may race for the same key.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from typing import Any

from sqlalchemy import delete, select, update

from slipstream.errors import NotFoundError
from slipstream.model import decode, encode
from slipstream.storage import BlobStore, open_store, store_for_uri

from .._database import CacheEntryRow, CacheReservationRow, Database
from .._loops import cause, is_transient
from .._metrics import NO_METRICS
from ._dialect import insert_for, table_of

__all__ = ["DbCatalog"]

log = logging.getLogger("slipstream.engine_host")

_entries = table_of(CacheEntryRow)
_reservations = table_of(CacheReservationRow)


class DbCatalog:
    """Cached task outputs in ``cache_entries``; ``cache_serialize`` reservations in
    ``cache_reservations``.

    With a ``blob_store_url``, outputs that encode to more than ``offload_bytes`` are written to
    ``{root}/cache/{key}/`` in the blob store and the row keeps their URI.
    """

    def __init__(
        self, db: Database | None, blob_store_url: str | None = None, offload_bytes: int = 1 << 20
    ) -> None:
        self._db = db
        self._url = blob_store_url
        self._store: BlobStore | None = None
        self._limit = offload_bytes
        self._lock = threading.Lock()
        self._pending: dict[str, dict[str, Any]] = {}
        self._missing = False
        """Whether the last lookup failed (the outage is logged once)."""
        self.metrics = NO_METRICS
        """Where lookups are counted (the engine host gives its server's)."""

    # -- Catalog --------------------------------------------------------------------------------------

    def get(self, key: str) -> dict[str, Any] | None:
        """The cached outputs for ``key`` (this host's unflushed entries included), or None
        (also while the database or the store is away: a miss, the task runs). An entry past
        its expiry, or whose offloaded outputs are gone from the store, is a miss."""
        try:
            found = self._get(key)
        except NotFoundError:  # its blob was collected: a miss
            self.metrics.cache_lookup("miss")
            return None
        except Exception as e:
            if not is_transient(e):
                raise
            if not self._missing:  # once per outage
                log.warning("cache lookups fail, taken as misses: %s", cause(e))
            self._missing = True
            self.metrics.cache_lookup("error")
            return None
        self._missing = False
        self.metrics.cache_lookup("miss" if found is None else "hit")
        return found

    def _get(self, key: str) -> dict[str, Any] | None:
        now = time.time()
        with self._lock:
            row = self._pending.get(key)
        if row is None:
            row = self._stored(key, now)
            if row is None:
                return None
        elif row["expires_at"] is not None and row["expires_at"] <= now:
            return None
        uri = row["outputs_uri"]
        data = store_for_uri(uri).get_bytes(uri) if uri else row["outputs"]
        out: dict[str, Any] = decode(data, dict[str, Any])
        return out

    @property
    def db(self) -> Database:
        """The database of the entries (a catalog over another channel has none)."""
        if self._db is None:
            raise TypeError(f"{type(self).__name__} reaches its entries without a database")
        return self._db

    def _stored(self, key: str, now: float) -> dict[str, Any] | None:
        """The stored entry of ``key`` unexpired at ``now``: its ``outputs`` and
        ``outputs_uri``, or None."""
        with self.db.engine.connect() as conn:
            found = conn.execute(
                select(_entries.c.outputs, _entries.c.outputs_uri).where(
                    _entries.c.key == key,
                    _entries.c.expires_at.is_(None) | (_entries.c.expires_at > now),
                )
            ).first()
        return None if found is None else {"outputs": found[0], "outputs_uri": found[1]}

    def _forget(self, key: str) -> None:
        with self.db.engine.begin() as conn:
            conn.execute(delete(_entries).where(_entries.c.key == key))

    def put(
        self,
        key: str,
        task: str,
        outputs: dict[str, Any],
        source: str,
        ttl_s: float | None = None,
    ) -> None:
        """Buffer an entry; ``source`` is the execution that computed it (``project/domain/name``);
        with ``ttl_s`` it is a hit for that many seconds."""
        data = encode(outputs)
        uri = ""
        if self._url is not None and len(data) > self._limit:
            uri = self._offload(key, data)
        project, domain = _project_domain(source)
        row = {
            "key": key,
            "project": project,
            "domain": domain,
            "task": task,
            "outputs": "" if uri else data.decode(),
            "outputs_uri": uri,
            "source": source,
            "created_at": time.time(),
            "expires_at": None if ttl_s is None else time.time() + ttl_s,
        }
        with self._lock:
            self._pending[key] = row

    def delete(self, key: str) -> None:
        """Forget ``key`` now (its data is gone), buffered or stored."""
        with self._lock:
            self._pending.pop(key, None)
        try:
            self._forget(key)
        except Exception as e:  # the entry stays; its data is gone, so the next lookup misses too
            if not is_transient(e):
                raise

    def reserve(self, key: str, owner: str, ttl_s: float) -> bool:
        """Take the right to compute ``key`` for ``ttl_s`` seconds, unless another owner holds an
        unexpired reservation. One statement, so two engine hosts racing get one winner."""
        now = time.time()
        ins = insert_for(self.db, _reservations).values(key=key, owner=owner, expires=now + ttl_s)
        stmt = ins.on_conflict_do_update(
            index_elements=["key"],
            set_={"owner": ins.excluded.owner, "expires": ins.excluded.expires},
            where=(_reservations.c.owner == owner) | (_reservations.c.expires <= now),
        ).returning(_reservations.c.key)
        try:
            with self.db.engine.begin() as conn:
                return conn.execute(stmt).first() is not None
        except Exception as e:  # the database is away: compute it here rather than wait
            if not is_transient(e):
                raise
            return True

    def release(self, key: str, owner: str) -> None:
        """Give ``owner``'s reservation of ``key`` back (another owner's is left alone)."""
        with self.db.engine.begin() as conn:
            conn.execute(
                delete(_reservations).where(
                    _reservations.c.key == key, _reservations.c.owner == owner
                )
            )

    def renew(self, owner: str, ttl_s: float) -> set[str]:
        """Extend every reservation ``owner`` still holds by ``ttl_s`` from now; returns their keys.

        A reservation that expired and was taken by another owner is not ``owner``'s any more.
        """
        with self.db.engine.begin() as conn:
            rows = conn.execute(
                update(_reservations)
                .where(_reservations.c.owner == owner)
                .values(expires=time.time() + ttl_s)
                .returning(_reservations.c.key)
            ).all()
        return {r[0] for r in rows}

    # -- for flush ------------------------------------------------------------------------------------

    def take(self) -> list[dict[str, Any]]:
        """Hand the buffered entries to a flush."""
        with self._lock:
            rows, self._pending = list(self._pending.values()), {}
        return rows

    def give_back(self, rows: list[dict[str, Any]]) -> None:
        """A flush failed: keep ``rows`` for the next one, under entries put since."""
        with self._lock:
            for row in rows:
                self._pending.setdefault(row["key"], row)

    def _offload(self, key: str, data: bytes) -> str:
        if self._store is None:
            assert self._url is not None
            self._store = open_store(self._url)
        digest = hashlib.sha256(data).hexdigest()[:32]
        uri = self._store.join("cache", key, f"outputs-{digest}.json")
        self._store.put_bytes(uri, data)
        return uri


def _project_domain(source: str) -> tuple[str, str]:
    parts = source.split("/", 2)
    return (parts[0], parts[1]) if len(parts) == 3 else ("", "")
