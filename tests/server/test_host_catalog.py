"""The shared cache on the server: buffered entries, offloaded outputs, reservations."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from host_db import add_execution
from sqlalchemy import select, update

from slipstream.server import Database
from slipstream.server._database import CacheEntryRow, CacheReservationRow
from slipstream.server._host import DbCatalog, claim, flush


def _key(n: int) -> str:
    return f"{n:064x}"


def test_entries_are_buffered_and_shared_after_flush(database: Database) -> None:
    host_a, host_b = DbCatalog(database), DbCatalog(database)
    host_a.put(_key(1), "my.task", {"o0": [1, 2]}, "proj/development/e1")
    assert host_a.get(_key(1)) == {"o0": [1, 2]}  # its own puts, before they are written
    assert host_b.get(_key(1)) is None
    assert flush(database, "host-a", [], host_a) == set()
    assert host_b.get(_key(1)) == {"o0": [1, 2]}
    with database.session() as s:
        row = s.get(CacheEntryRow, _key(1))
        assert row is not None
        assert (row.project, row.domain, row.task, row.source) == (
            "proj",
            "development",
            "my.task",
            "proj/development/e1",
        )
    # a newer entry for the key replaces the old one
    host_b.put(_key(1), "my.task", {"o0": [3]}, "proj/development/e2")
    flush(database, "host-b", [], host_b)
    assert host_a.get(_key(1)) == {"o0": [3]}

    host_a.delete(_key(1))
    assert host_a.get(_key(1)) is None and host_b.get(_key(1)) is None
    host_a.put(_key(2), "t", {}, "proj/development/e1")
    host_a.delete(_key(2))  # a buffered entry is forgotten too
    flush(database, "host-a", [], host_a)
    assert host_b.get(_key(2)) is None


def test_entries_flush_with_the_execution_writes(database: Database, tmp_path: Path) -> None:
    from slipstream.model import NodeRecord
    from slipstream.server._host import DbStateStore

    pk, eid = add_execution(database)
    claim(database, "host-a", 60, 1)
    store = DbStateStore(database, pk, eid, tmp_path.as_uri())
    catalog = DbCatalog(database)
    store.save_node(eid, NodeRecord(path="n0"))
    catalog.put(_key(3), "t", {"o0": 1}, str(eid))
    flush(database, "host-a", [store], catalog)
    assert DbCatalog(database).get(_key(3)) == {"o0": 1}
    assert [n.path for n in store.nodes(eid)] == ["n0"]


def test_big_outputs_live_in_the_blob_store(database: Database, tmp_path: Path) -> None:
    catalog = DbCatalog(database, tmp_path.as_uri(), offload_bytes=1_000)
    outputs = {"o0": list(range(10_000))}
    catalog.put(_key(4), "t", outputs, "proj/development/e1")
    flush(database, "host-a", [], catalog)
    with database.session() as s:
        row = s.get(CacheEntryRow, _key(4))
        assert row is not None and row.outputs == ""
        assert row.outputs_uri.startswith(tmp_path.as_uri() + "/cache/" + _key(4) + "/")
    assert DbCatalog(database).get(_key(4)) == outputs


def test_one_reservation_at_a_time(database: Database) -> None:
    catalog = DbCatalog(database)
    assert catalog.reserve(_key(5), "host-a", 60)
    assert catalog.reserve(_key(5), "host-a", 60)  # its own: renewed
    assert not catalog.reserve(_key(5), "host-b", 60)
    catalog.release(_key(5), "host-b")  # not its own: nothing happens
    assert not catalog.reserve(_key(5), "host-b", 60)
    catalog.release(_key(5), "host-a")
    assert catalog.reserve(_key(5), "host-b", 60)
    # an expired reservation is free for anyone
    with database.engine.begin() as conn:
        conn.execute(update(CacheReservationRow).values(expires=time.time() - 1))
    assert catalog.reserve(_key(5), "host-a", 60)


def test_renew_extends_what_an_owner_still_holds(database: Database) -> None:
    catalog = DbCatalog(database)
    assert catalog.reserve(_key(6), "host-a", 1)
    assert catalog.reserve(_key(7), "host-a", 1)
    assert catalog.reserve(_key(8), "host-b", 1)
    assert catalog.renew("host-a", 60) == {_key(6), _key(7)}
    with database.session() as s:
        expires = dict(
            s.execute(select(CacheReservationRow.key, CacheReservationRow.expires)).all()
        )
    assert expires[_key(6)] > time.time() + 50 and expires[_key(8)] < time.time() + 2
    assert catalog.renew("host-c", 60) == set()


def _race(hosts: list[DbCatalog], key: str) -> list[str]:
    """Every host reserves ``key`` at the same moment, each from its own thread; the winners."""
    won: list[str] = []
    start = threading.Barrier(len(hosts))

    def reserve(catalog: DbCatalog, owner: str) -> None:
        start.wait()
        if catalog.reserve(key, owner, 60):
            won.append(owner)

    threads = [threading.Thread(target=reserve, args=(c, f"host-{i}")) for i, c in enumerate(hosts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return won


def test_two_hosts_racing_for_a_key_one_wins(database: Database) -> None:
    hosts = [DbCatalog(database), DbCatalog(database)]
    for n in range(20):
        won = _race(hosts, _key(100 + n))
        assert len(won) == 1, (n, won)
