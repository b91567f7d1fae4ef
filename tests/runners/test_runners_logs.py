"""An attempt's stdout and stderr are kept in the blob store at the file-descriptor level: print,
writes to the raw descriptors and child processes all land in ``output.log``, live for local
stores, uploaded at the end for others; the process's own descriptors come back afterwards."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from runner_requests import MakeRequest, wait_for

from slipstream import task
from slipstream.runners import InlineRunner, LocalRunner, run_attempt
from slipstream.storage import open_store


@task
def noisy(tag: str) -> int:
    print(f"print-{tag}")
    os.write(2, f"fd2-{tag}\n".encode())
    subprocess.run(["sh", "-c", f"echo child-{tag}; echo child-err-{tag} >&2"], check=True)
    print(f"stderr-{tag}", file=sys.stderr)
    return 1


@task
def slow_talker(gate: str) -> int:
    print("first line")
    deadline = time.monotonic() + 20
    while not os.path.exists(gate) and time.monotonic() < deadline:
        time.sleep(0.02)
    print("second line")
    return 2


def _expect_all(text: str, tag: str) -> None:
    for part in ("print", "fd2", "child", "child-err", "stderr"):
        assert f"{part}-{tag}\n" in text, (part, text)


def test_pool_worker_keeps_every_kind_of_output(tmp_path: Path, make_request: MakeRequest) -> None:
    logs = f"file://{tmp_path}/logs/a"
    with LocalRunner(workers=1) as runner:
        runner.submit(make_request(noisy, {"tag": "a"}, log_dir=logs))
        runner.submit(make_request(noisy, {"tag": "b"}))  # not captured: the worker's own fds again
        runner.submit(make_request(noisy, {"tag": "c"}, log_dir=f"file://{tmp_path}/logs/c"))
        results = wait_for(runner, 3)
    assert all(r.ok for r in results), results
    by_log = {r.log_uri for r in results}
    assert by_log == {"", f"{logs}/output.log", f"file://{tmp_path}/logs/c/output.log"}
    a = (tmp_path / "logs" / "a" / "output.log").read_text()
    c = (tmp_path / "logs" / "c" / "output.log").read_text()
    _expect_all(a, "a")
    _expect_all(c, "c")
    assert "-b" not in a + c and "-c" not in a and "-a" not in c


def test_local_log_can_be_followed_while_the_attempt_runs(
    tmp_path: Path, make_request: MakeRequest
) -> None:
    gate = tmp_path / "gate"
    log = tmp_path / "logs" / "output.log"
    with LocalRunner(workers=1) as runner:
        runner.submit(
            make_request(slow_talker, {"gate": str(gate)}, log_dir=f"file://{log.parent}")
        )
        assert runner.wait(0) == []  # sends it
        deadline = time.monotonic() + 20
        while not (log.exists() and "first line" in log.read_text()):
            assert time.monotonic() < deadline, "the first line never reached the log"
            time.sleep(0.02)
        assert "second line" not in log.read_text()
        gate.touch()
        (result,) = wait_for(runner, 1)
    assert result.ok
    assert log.read_text() == "first line\nsecond line\n"


def test_inline_capture_restores_the_process_streams(
    tmp_path: Path, make_request: MakeRequest, capfd: pytest.CaptureFixture[str]
) -> None:
    runner = InlineRunner()
    runner.submit(make_request(noisy, {"tag": "i"}, log_dir=f"file://{tmp_path}/logs"))
    (result,) = runner.wait(None)
    assert result.ok and result.log_uri.endswith("/output.log")
    print("after-print")
    os.write(1, b"after-fd1\n")
    out, err = capfd.readouterr()
    assert "after-print" in out and "after-fd1" in out
    assert "-i\n" not in out + err
    _expect_all((tmp_path / "logs" / "output.log").read_text(), "i")


def test_object_store_log_is_uploaded_when_the_attempt_ends(make_request: MakeRequest) -> None:
    store = "memory://slipstream-logs-test"
    req = make_request(noisy, {"tag": "m"}, store=store, log_dir=f"{store}/e1/n0/1/logs")
    result = run_attempt(req, "inline")
    assert result.ok, result.error
    assert result.log_uri == f"{store}/e1/n0/1/logs/output.log"
    _expect_all(open_store(store).get_bytes(result.log_uri).decode(), "m")
