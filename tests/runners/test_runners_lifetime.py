"""Worker processes end within a second when the process that owns the pool dies, however it dies
(SIGKILL, SIGTERM, Ctrl-C, a closed terminal), for the fork and spawn start methods and for
``slipstream run``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from runner_requests import MakeRequest, wait_for

from slipstream import task
from slipstream.runners import LocalRunner

SLIPSTREAM = str(Path(sys.executable).with_name("slipstream"))

LONG_TASK = textwrap.dedent(
    """
    import os
    import time
    from pathlib import Path

    from slipstream import task, workflow


    @task
    def long_task(where: str, i: int) -> int:
        Path(where, f"{i}.pid").write_text(str(os.getpid()))
        time.sleep(60)
        return i


    @workflow
    def wf(where: str) -> list[int]:
        return [long_task(where=where, i=0), long_task(where=where, i=1)]
    """
)

POOL_SCRIPT = textwrap.dedent(
    """
    import sys
    import threading
    import time

    from slipstream.model import AttemptRequest, ExecutionId
    from slipstream.runners import LocalRunner


    def main():
        sys.path.insert(0, sys.argv[1])
        import longwf

        if sys.argv[3] == "spawn":  # a second thread makes the pool spawn its workers
            threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
        if sys.argv[3] == "thread":  # made off the main thread: workers watch the parent's pid
            box = []
            maker = threading.Thread(target=lambda: box.append(LocalRunner(workers=2)))
            maker.start()
            maker.join()
            runner = box[0]
        else:
            runner = LocalRunner(workers=2, code_root=sys.argv[1])
        for i in range(2):
            runner.submit(AttemptRequest(
                execution=ExecutionId("p", "d", "e"), node=f"n{i}", attempt=1,
                task=longwf.long_task.template, inputs={"where": sys.argv[2], "i": i},
                store="file://" + sys.argv[2] + "/blobs",
                output_prefix="file://" + sys.argv[2] + "/o",
            ))
        print(sys.argv[3] if sys.argv[3] == "thread" else runner._ctx.get_start_method(), flush=True)
        runner.wait(120)


    if __name__ == "__main__":
        main()
    """
)


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"  # a zombie has ended
    except FileNotFoundError:
        return True


def _worker_pids(where: Path, proc: subprocess.Popen[bytes]) -> list[int]:
    deadline = time.monotonic() + 30
    while True:  # both tasks started and wrote their pid in full
        texts = [p.read_text() for p in where.glob("*.pid")]
        if len(texts) >= 2 and all(t.strip().isdigit() for t in texts):
            return [int(t) for t in texts]
        assert proc.poll() is None, f"exited with {proc.returncode}"
        assert time.monotonic() < deadline, "the tasks never started"
        time.sleep(0.02)


def _assert_all_end_within_a_second(pids: list[int]) -> float:
    started = time.monotonic()
    while not all(_gone(p) for p in pids):
        assert time.monotonic() - started < 1.0, [p for p in pids if not _gone(p)]
        time.sleep(0.01)
    return time.monotonic() - started


@pytest.fixture
def code(tmp_path: Path) -> Path:
    root = tmp_path / "code"
    root.mkdir()
    (root / "longwf.py").write_text(LONG_TASK)
    return root


@pytest.mark.parametrize("method", ["fork", "spawn", "thread"])
def test_workers_die_with_a_killed_pool_owner(code: Path, tmp_path: Path, method: str) -> None:
    where = tmp_path / "pids"
    where.mkdir()
    script = tmp_path / "pool.py"
    script.write_text(POOL_SCRIPT)
    with subprocess.Popen(
        [sys.executable, str(script), str(code), str(where), method],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    ) as proc:
        try:
            assert proc.stdout is not None
            assert proc.stdout.readline().decode().strip() == method
            pids = _worker_pids(where, proc)
            assert os.getpid() not in pids and proc.pid not in pids
            proc.kill()
            proc.wait(5)
            _assert_all_end_within_a_second(pids)
        finally:
            if proc.poll() is None:
                proc.kill()


@pytest.mark.parametrize(
    ("sig", "group"),
    [
        (signal.SIGKILL, False),
        (signal.SIGTERM, False),
        (signal.SIGINT, True),  # Ctrl-C reaches the whole foreground process group
        (signal.SIGHUP, True),  # a closed terminal
    ],
    ids=["SIGKILL", "SIGTERM", "Ctrl-C", "hangup"],
)
def test_slipstream_run_leaves_no_worker_behind(
    code: Path, tmp_path: Path, sig: signal.Signals, group: bool
) -> None:
    where = tmp_path / "pids"
    where.mkdir()
    with subprocess.Popen(
        [SLIPSTREAM, "run", "--workers", "2", str(code / "longwf.py"), "wf", "--where", str(where)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        cwd=tmp_path,
    ) as proc:
        try:
            pids = _worker_pids(where, proc)
            if group:
                os.killpg(proc.pid, sig)
            else:
                os.kill(proc.pid, sig)
            proc.wait(5)
            _assert_all_end_within_a_second(pids)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)


@task
def quick(x: int) -> int:
    return x + 1


def test_a_pool_made_in_a_thread_that_ended_keeps_its_workers(make_request: MakeRequest) -> None:
    import threading

    box: list[LocalRunner] = []

    def make() -> None:
        box.append(LocalRunner(workers=1))
        time.sleep(1.0)  # the worker is up and has armed its watch before this thread ends

    maker = threading.Thread(target=make)
    maker.start()
    maker.join()
    with box[0] as runner:
        time.sleep(0.3)  # the kernel's parent-death signal would have fired by now
        assert runner._workers[0].alive()
        runner.submit(make_request(quick, {"x": 1}))
        (result,) = wait_for(runner, 1)
    assert result.ok and result.outputs == {"o0": 2}
