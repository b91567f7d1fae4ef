"""``cache_serialize`` reservations in the local catalog: one held by a process that died is
taken over at once by the next run, not after the reservation expires (issue 11)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from slipstream.engine import LocalCatalog
from slipstream.engine._catalog import holder_alive, process_start

SLIPSTREAM = str(Path(sys.executable).with_name("slipstream"))

WORKFLOW = textwrap.dedent(
    """
    import os
    import time
    from pathlib import Path

    from slipstream import task, workflow


    @task(cache=True, cache_version="1", cache_serialize=True)
    def slow_square(x: int) -> int:
        started = os.environ.get("STARTED_FILE")
        if started:
            Path(started).write_text(str(os.getpid()))
            time.sleep(120)
        return x * x


    @workflow
    def wf(x: int) -> int:
        return slow_square(x=x)
    """
)


def _holder(home: Path) -> tuple[str, int, str] | None:
    with sqlite3.connect(home / "catalog.db") as db:
        row = db.execute("SELECT host, pid, started FROM reservation").fetchone()
    return None if row is None else (row[0], row[1], row[2])


@pytest.mark.timeout(60)
def test_a_killed_runs_reservation_is_taken_over_at_once(
    tmp_path: Path, slipstream_home: Path
) -> None:
    module = tmp_path / f"serial_{os.getpid()}_{time.time_ns()}.py"
    module.write_text(WORKFLOW)
    started = tmp_path / "started"
    env = {**os.environ, "STARTED_FILE": str(started)}
    run = [SLIPSTREAM, "run", "--runner", "inline", "--json", str(module), "wf", "--x", "7"]
    first = subprocess.Popen(run, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while not started.exists():
        assert first.poll() is None, first.communicate()
        assert time.monotonic() < deadline, "the first run did not start its task"
        time.sleep(0.05)
    held = _holder(slipstream_home)
    assert held is not None and held[1] == first.pid
    first.send_signal(signal.SIGKILL)
    first.communicate()

    env.pop("STARTED_FILE")
    begin = time.monotonic()
    second = subprocess.run(run, env=env, capture_output=True, text=True, timeout=30)
    elapsed = time.monotonic() - begin
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == '{"o0": 49}'
    assert elapsed < 15  # the reservation lasts 300 s: waiting for it would time the test out
    assert _holder(slipstream_home) is None  # released when the second run finished


def test_reservation_of_a_live_process_is_respected(tmp_path: Path) -> None:
    catalog = LocalCatalog(tmp_path / "catalog.db")
    assert catalog.reserve("k", "run-a", 300)
    assert not catalog.reserve("k", "run-b", 300)  # run-a's process (this one) is alive
    assert catalog.reserve("k", "run-a", 300)  # the owner itself may take it again
    catalog.release("k", "run-a")
    assert catalog.reserve("k", "run-b", 300)


def test_reservation_of_a_dead_process_or_a_reused_pid_is_taken_over(tmp_path: Path) -> None:
    catalog = LocalCatalog(tmp_path / "catalog.db")
    assert catalog.reserve("k", "run-a", 300)
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    db = sqlite3.connect(tmp_path / "catalog.db")
    with db:
        db.execute("UPDATE reservation SET pid = ?", (child.pid,))
    assert catalog.reserve("k", "run-b", 300)  # the holder is gone

    with db:  # a live pid whose start time differs: the pid was reused by another process
        db.execute("UPDATE reservation SET owner = 'run-c', started = 'not-this'")
    assert catalog.reserve("k", "run-d", 300) == (process_start(os.getpid()) != "")
    db.close()


def test_holders_elsewhere_are_trusted_until_expiry() -> None:
    assert holder_alive("another-host", 1, "") is True
    assert holder_alive("", 0, "") is True


def test_a_catalog_file_of_the_older_schema_gains_the_holder_columns(tmp_path: Path) -> None:
    path = tmp_path / "catalog.db"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE cache (key TEXT PRIMARY KEY, task TEXT NOT NULL, "
            "outputs BLOB NOT NULL, source TEXT NOT NULL, created_at REAL NOT NULL)"
        )
        db.execute(
            "CREATE TABLE reservation (key TEXT PRIMARY KEY, owner TEXT NOT NULL, "
            "expires_at REAL NOT NULL)"
        )
        db.execute("INSERT INTO reservation VALUES ('old', 'gone', ?)", (time.time() + 300,))
    db.close()
    catalog = LocalCatalog(path)
    assert not catalog.reserve("old", "new", 300)  # unknown holder: its expiry decides
    assert catalog.reserve("k", "new", 300)
    assert _holder(tmp_path) is not None
