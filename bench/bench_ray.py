"""Ray beside the local pool, in one run: per-task overhead of a chain of 100, a fan-out of 1,000
tasks of ~2 ms CPU each, a 100,000-item map (time and the driver's memory growth), and the time
to build and to reuse a task environment of one small package.

Starts a two-node local Ray cluster (1 + 2 CPUs, like the tests) unless ``--ray-address`` names
one. Usage: ``python bench/bench_ray.py [--items 100000] [--ray-address HOST:PORT]``.
Goals (issue 12): Ray per-task overhead under 5 ms, the 100,000-item map under 2 minutes,
environment reuse under 50 ms.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import ray_flows as flows  # noqa: E402

from slipstream.runners import execute_local  # noqa: E402


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _cluster() -> tuple[str, list[subprocess.Popen[bytes]], str]:
    ray_exe = str(Path(sys.executable).parent / "ray")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    temp = tempfile.mkdtemp(prefix="rb", dir="/tmp")
    common = ["--block", "--disable-usage-stats"]
    head = subprocess.Popen(
        [ray_exe, "start", "--head", f"--port={port}", "--num-cpus=1",
         "--include-dashboard=false", f"--temp-dir={temp}", *common],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            break
        except OSError:
            time.sleep(0.5)
    second = subprocess.Popen(
        [ray_exe, "start", f"--address=127.0.0.1:{port}", "--num-cpus=2", *common],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    return f"127.0.0.1:{port}", [head, second], temp


def _stop(procs: list[subprocess.Popen[bytes]], temp: str) -> None:
    for p in reversed(procs):
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(p.pid, sig)
                p.wait(10)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue
    shutil.rmtree(temp, ignore_errors=True)


def _timed(entity: Any, inputs: dict[str, Any], runner: Any) -> float:
    t = time.perf_counter()
    execute_local(entity, inputs, runner=runner, cache=False).python_outputs()
    return time.perf_counter() - t


def bench(name: str, runner: Any, items: int) -> None:
    _timed(flows.chain100, {}, runner)  # warm the workers
    chain = _timed(flows.chain100, {}, runner)
    print(f"{name:6} chain of 100: {chain:.2f} s, {chain * 10:.2f} ms per task")
    fan = _timed(flows.fanout, {"xs": list(range(1000))}, runner)
    print(f"{name:6} fan-out of 1,000 x 2 ms: {fan:.2f} s ({1000 / fan:.0f} tasks/s)")
    xs = list(range(items))
    before = _rss_mib()
    t = _timed(flows.big_map, {"xs": xs}, runner)
    grew = _rss_mib() - before
    print(
        f"{name:6} map of {items:,}: {t:.1f} s ({items / t:,.0f} items/s), "
        f"driver memory {grew:+.0f} MiB"
    )


def bench_env() -> None:
    from slipstream.model import EnvironmentSpec
    from slipstream.runners._envs import build_env

    spec = EnvironmentSpec(packages=("inflection==0.5.1",))
    first = build_env(spec)
    again = build_env(spec)
    print(
        f"env    build {first.seconds:.2f} s (uv; its download cache warm or not), "
        f"reuse {again.seconds * 1000:.2f} ms"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--ray-address", default=None)
    args = ap.parse_args()
    home = tempfile.mkdtemp(prefix="slipstream-bench-")
    os.environ["SLIPSTREAM_HOME"] = home
    procs: list[subprocess.Popen[bytes]] = []
    temp = ""
    address = args.ray_address
    if address is None:
        address, procs, temp = _cluster()
    try:
        from slipstream.runners import LocalRunner, RayRunner

        with LocalRunner(code_root=str(HERE)) as local:
            bench("local", local, args.items)
        import ray

        ray.init(address=address, logging_level="ERROR", log_to_driver=False)
        deadline = time.monotonic() + 120
        while procs and ray.cluster_resources().get("CPU", 0) < 3 and time.monotonic() < deadline:
            time.sleep(0.5)  # the second node joins
        with RayRunner(address, code_root=str(HERE)) as ray_runner:
            print(f"ray cluster: {ray_runner.resources.get('CPU', 0):g} CPUs")
            bench("ray", ray_runner, args.items)
        ray.shutdown()
        bench_env()
    finally:
        if procs:
            _stop(procs, temp)
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
