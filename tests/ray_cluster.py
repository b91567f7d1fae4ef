"""A real local Ray cluster of two nodes for the tests that need one (the Ray runner's, Elastic's
ranks on several nodes).

``ray start`` is slow, so a test module starts one for all its tests: each node carries a custom
resource (``head_node``, ``second_node``) so that tests can tell them apart, and both are stopped
at the end.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import ray

RAY = str(Path(sys.executable).parent / "ray")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [RAY, "start", "--block", "--disable-usage-stats", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: stopped as a whole at the end
        env=env,
    )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            continue


class Cluster:
    """Where the cluster is: its address, and the node ids of its head and its second node."""

    def __init__(self, address: str, head: str, second: str) -> None:
        self.address = address
        self.head = head
        self.second = second


@contextmanager
def local_ray_cluster(head_cpus: int = 1, second_cpus: int = 2) -> Iterator[Cluster]:
    """A head of ``head_cpus`` CPUs and a second node of ``second_cpus``, with this process
    connected to it (``ray.init``) while it runs."""
    port = _free_port()
    temp = tempfile.mkdtemp(prefix="rt", dir="/tmp")  # Ray's socket paths must stay short
    env = dict(os.environ)
    env.pop("RAY_ADDRESS", None)
    # a token some earlier local Ray left in ~/.ray must not switch this cluster to token auth
    saved_mode = os.environ.get("RAY_AUTH_MODE")
    env["RAY_AUTH_MODE"] = os.environ["RAY_AUTH_MODE"] = "disabled"
    head = _start(
        [
            "--head",
            f"--port={port}",
            f"--num-cpus={head_cpus}",
            '--resources={"head_node": 1}',
            "--include-dashboard=false",
            f"--temp-dir={temp}",
        ],
        env,
    )
    procs = [head]
    address = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert head.poll() is None, "ray start --head exited"
            assert time.monotonic() < deadline, "the Ray head did not start"
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                break
            except OSError:
                time.sleep(0.5)
        procs.append(
            _start(
                [
                    f"--address={address}",
                    f"--num-cpus={second_cpus}",
                    '--resources={"second_node": 1}',
                ],
                env,
            )
        )
        ray.init(address=address, logging_level="ERROR", log_to_driver=False)
        ids: dict[str, str] = {}
        while len(ids) < 2:
            assert time.monotonic() < deadline, f"the second Ray node did not join: {ids}"
            for n in ray.nodes():
                if n["Alive"]:
                    for res in ("head_node", "second_node"):
                        if res in n["Resources"]:
                            ids[res] = n["NodeID"]
            time.sleep(0.5)
        yield Cluster(address, ids["head_node"], ids["second_node"])
    finally:
        ray.shutdown()
        for p in reversed(procs):
            _stop(p)
        shutil.rmtree(temp, ignore_errors=True)
        if saved_mode is None:
            os.environ.pop("RAY_AUTH_MODE", None)
        else:
            os.environ["RAY_AUTH_MODE"] = saved_mode
