"""slipstream._processes: whether a process of this machine still runs (zombies and reused ids
included), with real child processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from slipstream._processes import pid_alive, process_start

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc")


def test_this_process_runs_and_is_itself() -> None:
    me = os.getpid()
    started = process_start(me)
    assert started
    assert pid_alive(me)
    assert pid_alive(me, started)
    assert not pid_alive(me, str(int(started) + 1))  # another process that reused the id


def test_an_ended_child_does_not_run_before_or_after_it_is_reaped() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 30
    while pid_alive(child.pid):  # a zombie until reaped: not running
        assert time.monotonic() < deadline, "the child never ended"
        time.sleep(0.01)
    assert child.poll() == 0  # reaped now
    assert not pid_alive(child.pid)
    assert process_start(child.pid) == ""


def test_a_process_of_another_user_runs() -> None:
    """init is root's: signalling it is refused to anyone else, yet it runs. Run as root, the
    check is made by a forked child that became ``nobody`` (it needs no Python of its own)."""
    if os.getuid() != 0:
        assert pid_alive(1)
        return
    pid = os.fork()
    if pid == 0:  # the child: another user from here on
        code = 3
        try:
            os.setgid(65534)
            os.setuid(65534)
            code = 0 if pid_alive(1) else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
