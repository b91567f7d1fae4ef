"""Every way an attempt can end in the pool carries its error kind: a worker killed from outside is
SYSTEM (naming the signal), one its own task crashed USER ``worker_lost``, a timeout TIMEOUT, a
cancelled attempt ABORTED, an attempt stopped by the host's shutdown ``interrupted``, the task's
own error USER."""

from __future__ import annotations

import ctypes
import faulthandler
import os
import signal
import subprocess
import time
from pathlib import Path

from runner_requests import MakeRequest, wait_for

from slipstream import task
from slipstream.model import ErrorKind
from slipstream.runners import LocalRunner


@task
def report_pid_and_sleep(where: str, pause: float) -> int:
    Path(where).write_text(str(os.getpid()))
    time.sleep(pause)
    return os.getpid()


@task
def with_child(where: str) -> int:
    child = subprocess.Popen(["sleep", "60"])
    Path(where).write_text(str(child.pid))
    return child.wait()


@task
def crash() -> int:
    faulthandler.disable()  # the test runner's handler would print the native stack
    ctypes.string_at(0)  # a segmentation fault in native code
    return 0


@task(timeout=0.5)
def too_slow() -> int:
    time.sleep(10)
    return 0


@task
def fails() -> int:
    raise ValueError("bad value")


@task
def quick(x: int) -> int:
    return x + 1


def _pid_in(path: Path) -> int:
    deadline = time.monotonic() + 20
    while not (path.exists() and path.read_text()):
        assert time.monotonic() < deadline, "the task never started"
        time.sleep(0.02)
    return int(path.read_text())


def test_worker_killed_is_a_system_error_naming_the_signal(
    tmp_path: Path, make_request: MakeRequest
) -> None:
    marker = tmp_path / "pid"
    with LocalRunner(workers=1) as runner:
        runner.submit(make_request(report_pid_and_sleep, {"where": str(marker), "pause": 30.0}))
        assert runner.wait(0) == []
        os.kill(_pid_in(marker), signal.SIGKILL)
        (result,) = wait_for(runner, 1)
        assert not result.ok and result.error is not None
        assert result.error.kind == ErrorKind.SYSTEM
        assert result.error.code == "worker_lost"
        assert "killed by SIGKILL" in result.error.message
        runner.submit(make_request(quick, {"x": 1}))
        assert wait_for(runner, 1)[0].outputs == {"o0": 2}  # a fresh worker took its place


def test_segfault_is_the_task_own_worker_lost(make_request: MakeRequest) -> None:
    # the task crashed its own process: its own retries pay for it, not the platform's
    with LocalRunner(workers=1) as runner:
        runner.submit(make_request(crash))
        (result,) = wait_for(runner, 1)
    assert result.error is not None and result.error.kind == ErrorKind.USER
    assert result.error.code == "worker_lost"
    assert "SIGSEGV" in result.error.message


def test_only_the_running_attempt_is_blamed_for_a_crash(make_request: MakeRequest) -> None:
    # the attempts queued behind the one that crashed its worker never started: they run again
    with LocalRunner(workers=1) as runner:
        runner.submit(make_request(crash))
        runner.submit(make_request(quick, {"x": 1}))
        runner.submit(make_request(quick, {"x": 2}))
        results = wait_for(runner, 3)
    failed = [r for r in results if not r.ok]
    assert len(failed) == 1 and failed[0].error is not None
    assert failed[0].error.code == "worker_lost"
    assert sorted(r.outputs["o0"] for r in results if r.ok and r.outputs) == [2, 3]


def test_timeout_is_its_own_kind(make_request: MakeRequest) -> None:
    with LocalRunner(workers=1) as runner:
        runner.submit(make_request(too_slow, timeout_s=0.5))
        (result,) = wait_for(runner, 1)
    assert result.timed_out and result.error is not None
    assert result.error.kind == ErrorKind.TIMEOUT
    assert "timed out after 0.5 s" in result.error.message


def test_task_error_is_user(make_request: MakeRequest) -> None:
    with LocalRunner(workers=1) as runner:
        runner.submit(make_request(fails))
        (result,) = wait_for(runner, 1)
    assert result.error is not None and result.error.kind == ErrorKind.USER
    assert result.error.message == "bad value"


def test_cancel_aborts_one_attempt_and_spares_its_neighbours(
    tmp_path: Path, make_request: MakeRequest
) -> None:
    marker = tmp_path / "pid"
    with LocalRunner(workers=1) as runner:
        long = make_request(report_pid_and_sleep, {"where": str(marker), "pause": 30.0})
        runner.submit(long)
        assert runner.wait(0) == []
        _pid_in(marker)
        runner.submit(make_request(quick, {"x": 41}))  # queued behind it in the same worker
        assert runner.wait(0.1) == []
        started = time.monotonic()
        runner.cancel(long.node, long.attempt, long.execution)
        results = {r.node: r for r in wait_for(runner, 2)}
        assert time.monotonic() - started < 5
    aborted = results[long.node]
    assert aborted.error is not None and aborted.error.kind == ErrorKind.ABORTED
    (other,) = (r for n, r in results.items() if n != long.node)
    assert other.ok and other.outputs == {"o0": 42}


def test_cancel_of_another_execution_leaves_the_attempt_alone(
    tmp_path: Path, make_request: MakeRequest
) -> None:
    from slipstream.model import ExecutionId

    with LocalRunner(workers=1) as runner:
        req = make_request(quick, {"x": 1})
        runner.submit(req)
        runner.cancel(req.node, req.attempt, ExecutionId("p", "d", "someone-else"))
        (result,) = wait_for(runner, 1)
    assert result.ok


def test_cancel_also_ends_the_subprocesses_of_the_attempt(
    tmp_path: Path, make_request: MakeRequest
) -> None:
    marker = tmp_path / "child"
    with LocalRunner(workers=1) as runner:
        req = make_request(with_child, {"where": str(marker)})
        runner.submit(req)
        assert runner.wait(0) == []
        child = _pid_in(marker)
        runner.cancel(req.node, req.attempt, req.execution)
        deadline = time.monotonic() + 1.0
        while _alive(child):
            assert time.monotonic() < deadline, "the task's subprocess outlived the cancel"
            time.sleep(0.01)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_interrupt_ends_the_running_attempt_and_hands_back_the_queued_ones(
    make_request: MakeRequest, tmp_path: Path
) -> None:
    marker = tmp_path / "pid"
    with LocalRunner(workers=1) as runner:
        slow = make_request(report_pid_and_sleep, {"where": str(marker), "pause": 30.0})
        behind = [make_request(quick, {"x": k}) for k in range(2)]
        for r in (slow, *behind):
            runner.submit(r)
        assert runner.wait(0) == []
        pid = _pid_in(marker)
        time.sleep(0.2)
        results, unstarted = runner.interrupt()
    (result,) = results
    assert (result.node, result.attempt) == (slow.node, 1)
    assert result.error is not None and result.error.code == "interrupted"
    assert result.ended_at - result.started_at >= 0.2  # from its real start
    assert [r.node for r in unstarted] == [r.node for r in behind]
    deadline = time.monotonic() + 10
    while _alive(pid):  # the worker was killed: the attempt does not go on
        assert time.monotonic() < deadline
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in _state(pid)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return "Z"
