"""Errors of the blob store under a task: a full store fails the attempt once with ``store_full``
(another attempt would only write the same bytes again), and the traceback of a store error shows
the task's frames, not slipstream's own."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from slipstream import task, workflow
from slipstream.errors import NotFoundError, StoreFullError
from slipstream.runners import execute_local
from slipstream.storage import open_store

pytestmark = pytest.mark.timeout(60)


@task(retries=2)
def big(n: int, marks: str) -> str:
    with open(marks, "a") as f:
        f.write("run\n")
    return "x" * n  # over the offload threshold: written to the store


@workflow
def big_output(n: int, marks: str) -> str:
    return big(n=n, marks=marks)


@task(retries=0)
def reads_missing(uri: str) -> int:
    return len(open_store("file:///").get_bytes(uri))


@workflow
def missing_blob(uri: str) -> int:
    return reads_missing(uri=uri)


@pytest.fixture
def small_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A home whose blob store is a 1 MiB tmpfs (needs root to mount)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    home = tmp_path / "home"
    data = home / "data"
    data.mkdir(parents=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(data)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    monkeypatch.setenv("SLIPSTREAM_HOME", str(home))
    try:
        yield data
    finally:
        subprocess.run(["umount", "-l", str(data)], check=False)


def test_a_full_store_fails_the_attempt_once_and_is_not_retried(
    small_store: Path, tmp_path: Path
) -> None:
    marks = tmp_path / "marks"
    run = execute_local(big_output, {"n": 3_000_000, "marks": str(marks)}, runner="inline")
    with pytest.raises(StoreFullError, match="store is full"):
        run.python_outputs()
    assert marks.read_text().count("run") == 1  # retries=2, yet it ran once
    attempts = run.executor.store.attempts[run.executor.id]  # type: ignore[attr-defined]
    assert len(attempts) == 1
    assert attempts[0].error is not None and attempts[0].error.code == "store_full"
    assert "slipstream" not in attempts[0].error.traceback


def test_a_store_error_shows_the_task_frames_not_slipstream_ones(tmp_path: Path) -> None:
    run = execute_local(missing_blob, {"uri": f"file://{tmp_path / 'nothing'}"}, runner="inline")
    with pytest.raises(NotFoundError):
        run.python_outputs()
    attempts = run.executor.store.attempts[run.executor.id]  # type: ignore[attr-defined]
    err = attempts[0].error
    assert err is not None and err.code == "not_found"
    assert __file__ in err.traceback  # the task's own line is there
    assert "reads_missing" in err.traceback
    src = str(Path(open_store.__code__.co_filename).parents[1])
    assert src not in err.traceback, err.traceback  # slipstream's frames are not
