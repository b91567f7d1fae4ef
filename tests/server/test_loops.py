"""The pieces that keep background loops alive: which faults pass by themselves, the backoff
(growing, capped, jittered, logged once per outage), the supervisor (restarts, then gives up)."""

from __future__ import annotations

import logging
import sqlite3
import threading

import pytest
from sqlalchemy import exc as sa_exc

from slipstream.errors import StorageError
from slipstream.server._loops import Backoff, Supervised, is_transient, run_passes

log = logging.getLogger("slipstream.test_loops")


def _sa(kind: type[sa_exc.DBAPIError], message: str) -> sa_exc.DBAPIError:
    return kind("SELECT 1", {}, sqlite3.OperationalError(message))


def test_which_faults_pass_by_themselves() -> None:
    assert is_transient(_sa(sa_exc.OperationalError, "database is locked"))
    assert is_transient(_sa(sa_exc.OperationalError, "database or disk is full"))
    assert is_transient(_sa(sa_exc.OperationalError, "connection refused"))
    assert is_transient(_sa(sa_exc.InterfaceError, "connection already closed"))
    assert is_transient(sa_exc.TimeoutError("QueuePool limit reached"))
    assert is_transient(StorageError("cannot write s3://bucket/x: timed out"))
    assert is_transient(ConnectionResetError())
    assert not is_transient(_sa(sa_exc.OperationalError, "no such table: executions"))
    assert not is_transient(_sa(sa_exc.IntegrityError, "UNIQUE constraint failed"))
    assert not is_transient(OverflowError("can't serialize ints > 2**64 - 1"))
    assert not is_transient(FileNotFoundError("bundle"))
    assert not is_transient(KeyError("x"))


def test_backoff_grows_to_its_cap_with_jitter_and_logs_once_per_outage(
    caplog: pytest.LogCaptureFixture,
) -> None:
    b = Backoff("the test loop", log, first_s=0.1, cap_s=5.0)
    with caplog.at_level(logging.WARNING, logger=log.name):
        waits = [b.failed(ConnectionRefusedError("refused")) for _ in range(12)]
        assert b.failing and b.last_error == "ConnectionRefusedError: refused"
        b.succeeded()
        b.succeeded()
    for n, w in enumerate(waits):
        top = min(5.0, 0.1 * 2**n)
        assert top / 2 <= w <= top
    assert max(waits) <= 5.0 and waits[-1] >= 2.5
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "the test loop failed, retrying until it works: ConnectionRefusedError: refused",
        lines[1],
    ]
    assert lines[1].startswith("the test loop works again after 12 failed tries")
    assert not b.failing


def test_a_loop_that_raises_is_restarted_then_given_up_and_reported_dead() -> None:
    runs: list[int] = []

    def body(beat: object) -> None:
        runs.append(1)
        raise RuntimeError("a bug")

    loop = Supervised("doomed", body, log, max_deaths=3).start()
    assert loop.ended.wait(10)
    assert len(runs) == 3
    assert loop.dead and not loop.alive
    report = loop.report()
    assert report["alive"] is False and report["error"] == "RuntimeError: a bug"


def test_a_loop_that_returns_was_stopped_not_killed() -> None:
    stop = threading.Event()
    passes: list[int] = []

    def once() -> int:
        passes.append(1)
        if len(passes) == 2:
            raise sa_exc.OperationalError("SELECT 1", {}, Exception("server closed the connection"))
        if len(passes) == 4:
            stop.set()
        return 1

    loop = Supervised("pass", lambda beat: run_passes("passes", once, stop, 0.01, log, beat), log)
    loop.start()
    assert loop.ended.wait(10)
    assert len(passes) == 4  # the transient fault was waited out, not fatal
    assert not loop.dead and loop.report()["restarts"] == 0
