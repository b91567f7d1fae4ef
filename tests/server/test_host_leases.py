"""Leases of executions shared by engine hosts: claim, renew, release, abort requests."""

from __future__ import annotations

import threading
import time

import pytest
from host_db import add_execution
from sqlalchemy import select, update

from slipstream.model import ExecutionPhase
from slipstream.server import Database
from slipstream.server._database import ExecutionRow
from slipstream.server._host import abort_requested, claim, release, renew


def _lease(db: Database, pk: int) -> tuple[str | None, float | None]:
    with db.session() as s:
        row = s.get(ExecutionRow, pk)
        assert row is not None
        return row.lease_owner, row.lease_expires


def test_claim_takes_free_unfinished_executions_oldest_first(database: Database) -> None:
    queued, _ = add_execution(database)
    running, _ = add_execution(database, ExecutionPhase.RUNNING)
    aborting, _ = add_execution(database, ExecutionPhase.ABORTING)
    for phase in (ExecutionPhase.SUCCEEDED, ExecutionPhase.FAILED, ExecutionPhase.ABORTED):
        add_execution(database, phase)
    held, _ = add_execution(database, owner="host-b", expires=time.time() + 60)
    later, _ = add_execution(database)

    before = time.time()
    assert claim(database, "host-a", 30, 3) == [queued, running, aborting]
    owner, expires = _lease(database, queued)
    assert owner == "host-a" and expires is not None and before + 30 <= expires <= time.time() + 30
    assert claim(database, "host-a", 30, 10) == [later]
    assert claim(database, "host-a", 30, 10) == []
    assert _lease(database, held)[0] == "host-b"
    assert claim(database, "host-a", 30, 0) == []


def test_an_expired_lease_is_taken_over(database: Database) -> None:
    pk, _ = add_execution(
        database, ExecutionPhase.RUNNING, owner="dead-host", expires=time.time() - 1
    )
    assert claim(database, "host-a", 30, 10) == [pk]
    assert _lease(database, pk)[0] == "host-a"
    # the dead host comes back: its lease is gone, it learns so and cannot release ours
    assert renew(database, "dead-host", [pk], 30) == {pk}
    release(database, "dead-host", [pk])
    assert _lease(database, pk)[0] == "host-a"


def test_renew_release_and_abort_requests(database: Database) -> None:
    a, _ = add_execution(database)
    b, _ = add_execution(database)
    assert claim(database, "host-a", 1, 10) == [a, b]
    old = _lease(database, a)[1]
    assert old is not None
    assert renew(database, "host-a", [a, b, 999_999], 60) == {999_999}
    new = _lease(database, a)[1]
    assert new is not None and new > old + 50
    assert renew(database, "host-a", [], 60) == set()

    assert abort_requested(database, "host-a", [a, b]) == set()
    with database.engine.begin() as conn:
        conn.execute(update(ExecutionRow).where(ExecutionRow.id == b).values(phase="ABORTING"))
    assert abort_requested(database, "host-a", [a, b]) == {b}
    assert abort_requested(database, "host-b", [a, b]) == set()

    release(database, "host-a", [a])
    assert _lease(database, a) == (None, None)
    assert claim(database, "host-b", 30, 10) == [a]  # b is still held by host-a


def test_bad_arguments_are_clear_errors(database: Database) -> None:
    with pytest.raises(ValueError, match="lease_s"):
        claim(database, "host-a", 0, 1)
    with pytest.raises(ValueError, match="owner"):
        renew(database, "", [1], 10)


def test_hosts_claiming_at_once_never_share_an_execution(database: Database) -> None:
    pks = {add_execution(database)[0] for _ in range(60)}
    got: dict[str, list[int]] = {f"host-{i}": [] for i in range(4)}
    start = threading.Barrier(len(got))
    errors: list[BaseException] = []

    def host(name: str) -> None:
        try:
            start.wait()
            while True:
                taken = claim(database, name, 60, 3)
                if not taken:
                    return
                got[name].extend(taken)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=host, args=(n,)) for n in got]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    every = [pk for taken in got.values() for pk in taken]
    assert len(every) == len(set(every)) == len(pks)
    assert set(every) == pks
    with database.session() as s:
        owners = dict(s.execute(select(ExecutionRow.id, ExecutionRow.lease_owner)).all())
    for name, taken in got.items():
        assert all(owners[pk] == name for pk in taken)
