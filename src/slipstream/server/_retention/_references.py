"""Which blobs of the store the database still points at.

A kept row points at a blob when its JSON names the blob's URI (or a folder above it: a
``Directory``, a DataFrame's folder): executions (their inputs and outputs), node executions,
attempts (logs, decks), signals, registered entities (a launch plan's default inputs) and cache entries. Values too big
for their row were offloaded to the store; those are read too. Only rows written after a
collected execution was created can point into its data, so a scan starts there.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator

from sqlalchemy import Table, or_, select
from sqlalchemy.engine import Connection

from slipstream.errors import NotFoundError
from slipstream.storage import BlobStore

from .._database import (
    AttemptRow,
    CacheEntryRow,
    EntityRow,
    ExecutionRow,
    NodeExecutionRow,
    SignalRow,
)

__all__ = ["References", "uris_in"]

_FILE = "file://"
_ENDS = frozenset('"\\ \n\t')
_OFFLOADED = re.compile(r'"(?:inputs_uri|outputs_uri)"\s*:\s*"([^"\\]+)"')
_BATCH = 500


def uris_in(text: str, root: str) -> Iterator[str]:
    """The URIs under ``root`` named in ``text`` (JSON), in the store's form: a local store's
    blobs are found by their path too (a ``file://`` URI contains it), and ``.`` and doubled
    ``/`` are taken out of what follows the root."""
    needle = root[len(_FILE) :] if root.startswith(_FILE) else root
    lead = root[: len(root) - len(needle)]
    start = 0
    while True:
        i = text.find(needle, start)
        if i < 0:
            return
        j = i + len(needle)
        while j < len(text) and text[j] not in _ENDS:
            j += 1
        tail = text[i + len(needle) : j]
        start = j
        if tail and tail[0] != "/":
            continue  # a longer name that starts like the root
        parts = [p for p in tail.split("/") if p not in ("", ".")]
        yield "/".join([lead + needle, *parts])


class References:
    """The URIs under the store's root that kept rows name, gathered in one pass."""

    def __init__(self, store: BlobStore) -> None:
        self.store = store
        self.root = store.root.rstrip("/")
        self.uris: set[str] = set()
        self._sorted: list[str] = []
        self._needle = self.root[len(_FILE) :] if self.root.startswith(_FILE) else self.root

    def scan(self, conn: Connection, since: float) -> References:
        """Gather what rows written at or after ``since`` name; returns self."""
        tables: list[tuple[Table, tuple[str, ...], str]] = [
            (ExecutionRow.__table__, ("record",), "updated_at"),  # type: ignore[list-item]
            (NodeExecutionRow.__table__, ("record",), "updated_at"),  # type: ignore[list-item]
            (AttemptRow.__table__, ("record",), "updated_at"),  # type: ignore[list-item]
            (SignalRow.__table__, ("value",), "created_at"),  # type: ignore[list-item]
            (EntityRow.__table__, ("spec",), "created_at"),  # type: ignore[list-item]
            (CacheEntryRow.__table__, ("outputs", "outputs_uri"), "created_at"),  # type: ignore[list-item]
        ]
        for table, columns, when in tables:
            cols = [table.c[c] for c in columns]
            stmt = select(*cols).where(
                or_(*(c.contains(self._needle, autoescape=True) for c in cols)),
                table.c[when] >= since,
            )
            for row in conn.execute(stmt.execution_options(yield_per=_BATCH)):
                for text in row:
                    self.add_text(text or "")
        return self

    def add_text(self, text: str) -> None:
        """Count the URIs ``text`` names, and those its offloaded values name."""
        found = set(uris_in(text, self.root))
        self.uris.update(found)
        cache = self.root + "/cache/"
        offloaded = {u for u in found if u.startswith(cache)}
        offloaded.update(u for u in _OFFLOADED.findall(text) if u.startswith(self.root + "/"))
        for uri in offloaded:
            self._offloaded(uri)

    def _offloaded(self, uri: str) -> None:
        try:
            data = self.store.get_bytes(uri)
        except NotFoundError:
            return
        self.uris.update(uris_in(data.decode("utf-8", "replace"), self.root))

    def kept_under(self, prefix: str) -> list[str]:
        """The referenced URIs under ``prefix``; ``[prefix]`` when a URI above it is referenced."""
        if len(self._sorted) != len(self.uris):
            self._sorted = sorted(self.uris)
        parts = prefix[len(self.root) :].split("/")
        if any(self.root + "/".join(parts[:n]) in self.uris for n in range(1, len(parts) + 1)):
            return [prefix]
        # the URIs that start with "prefix/" sort together, before "prefix0" ("0" follows "/")
        lo = bisect.bisect_left(self._sorted, prefix + "/")
        hi = bisect.bisect_left(self._sorted, prefix + "0")
        return self._sorted[lo:hi]


def covered(path: str, kept: Iterable[str]) -> bool:
    """Whether ``path`` is one of ``kept`` or lies under one."""
    return any(path == k or path.startswith(k + "/") for k in kept)
