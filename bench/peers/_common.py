"""Shared helpers for the peer workload scripts.

Imported by the ``*_work.py`` scripts, which run inside each peer's own venv
(so this module must only use the standard library).  The scripts call
``setup()`` *before* importing their framework: it isolates the framework's
home/state directories in a temp dir and moves fd 1 to stderr, so that the
only thing a workload script prints on stdout is its single JSON line.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import resource
import shutil
import sys
import tempfile
import time

# Default sizes per workload (the orchestrator may pass --n).
DEFAULT_N = {
    "chain": 100,
    "fanout": 1000,
    "fanout_cpu": 1000,
    "dataframe": 5_000_000,
    "cached": 100,
    "map100k": 100_000,
    "hello": 1,
}
WORKLOADS = tuple(DEFAULT_N)

# Iterations of ``cpu_work``'s loop: about 2 ms of pure-Python work on the
# 2-core benchmark machine (CPython 3.11).  A fixed constant, not a per-run
# calibration, so that every peer does exactly the same work per item;
# ``python _common.py`` prints a fresh calibration for other machines.
CPU_ITERS = 16_000

_REAL_STDOUT_FD: int | None = None
T_PROCESS_START = time.perf_counter()


def cpu_work(x: int, iters: int = CPU_ITERS) -> int:
    """Deterministic ~2 ms of pure-Python CPU work; returns a value depending on x."""
    s = x
    for i in range(iters):
        s = (s * 31 + i) % 1_000_003
    return s


def calibrate(target_s: float = 0.002, reps: int = 50) -> int:
    """Number of ``cpu_work`` iterations that take about ``target_s`` (best of reps)."""
    probe = 100_000
    best = float("inf")
    for _ in range(max(3, reps // 10)):
        t = time.perf_counter()
        cpu_work(0, probe)
        best = min(best, time.perf_counter() - t)
    return int(probe * target_s / best)


def setup(peer: str) -> argparse.Namespace:
    """Parse ``WORKLOAD [--n N]``, isolate state dirs, and redirect stdout to stderr."""
    global _REAL_STDOUT_FD
    ap = argparse.ArgumentParser(description=f"{peer} benchmark workloads")
    ap.add_argument("workload", choices=WORKLOADS)
    ap.add_argument("--n", type=int, default=None)
    ap.add_argument(
        "--no-warmup",
        action="store_true",
        help="do not run a one-task warm-up before the measured run",
    )
    args = ap.parse_args()
    if args.n is None:
        args.n = DEFAULT_N[args.workload]

    home = os.environ.get("SLIPBENCH_HOME")
    if not home:
        home = tempfile.mkdtemp(prefix=f"slipbench-{peer}-")
        atexit.register(shutil.rmtree, home, True)
        os.environ["SLIPBENCH_HOME"] = home
    os.makedirs(home, exist_ok=True)
    # Frameworks keep state under ~ (~/.flyte, ~/.prefect, ...): point them all
    # at the per-run directory so that nothing leaks between runs or into the
    # real home directory.
    os.environ["HOME"] = home
    os.environ.setdefault("PREFECT_HOME", os.path.join(home, ".prefect"))
    os.environ.setdefault("DAGSTER_HOME", os.path.join(home, ".dagster"))
    os.makedirs(os.environ["DAGSTER_HOME"], exist_ok=True)
    args.home = home

    # Everything the frameworks print goes to stderr; stdout keeps one JSON line.
    sys.stdout.flush()
    _REAL_STDOUT_FD = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return args


def _live_descendants_hwm_kib() -> list[int]:
    """VmHWM (peak RSS, KiB) of this process's still-running descendants."""
    me = os.getpid()
    parent: dict[int, int] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parent[int(d)] = ppid
    out = []
    for pid in parent:
        p, seen = parent.get(pid), 0
        while p and p != me and seen < 64:
            p, seen = parent.get(p), seen + 1
        if p == me:
            try:
                with open(f"/proc/{pid}/status") as f:
                    for line in f:
                        if line.startswith("VmHWM:"):
                            out.append(int(line.split()[1]))
            except OSError:
                pass
    return out


def peak_rss() -> dict:
    """Peak RSS in MiB: of this process, of its children (reaped and live), max and sum.

    ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` is the peak of the largest single
    reaped descendant (Linux: KiB); live children (e.g. Prefect's ephemeral
    API server) are read from /proc/<pid>/status VmHWM.
    """
    self_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    live = _live_descendants_hwm_kib()
    mx = max([self_kib, child_kib, *live])
    sm = self_kib + child_kib + sum(live)
    return {
        "peak_rss_mib": round(mx / 1024, 1),
        "peak_rss_sum_mib": round(sm / 1024, 1),
        "peak_rss_self_mib": round(self_kib / 1024, 1),
        "peak_rss_children_mib": round((child_kib + sum(live)) / 1024, 1),
    }


def emit(peer: str, args: argparse.Namespace, wall_s: float | None, **extra) -> None:
    """Print the one JSON result line on the real stdout."""
    rec = {"peer": peer, "workload": args.workload, "n": args.n}
    if wall_s is not None:
        rec["wall_s"] = round(wall_s, 6)
        items = args.n
        rec["per_item_ms"] = round(wall_s * 1000 / items, 6) if items else None
        rec["items_per_s"] = round(items / wall_s, 2) if wall_s > 0 else None
    rec.update(peak_rss())
    rec["process_s"] = round(time.perf_counter() - T_PROCESS_START, 3)
    rec.update(extra)
    line = json.dumps(rec) + "\n"
    fd = _REAL_STDOUT_FD if _REAL_STDOUT_FD is not None else 1
    os.write(fd, line.encode())


def emit_skip(peer: str, args: argparse.Namespace, reason: str) -> None:
    rec = {"peer": peer, "workload": args.workload, "n": args.n, "skipped": reason}
    fd = _REAL_STDOUT_FD if _REAL_STDOUT_FD is not None else 1
    os.write(fd, (json.dumps(rec) + "\n").encode())


def version_of(dist: str) -> str | None:
    try:
        from importlib.metadata import version

        return version(dist)
    except Exception:
        return None


class Timer:
    def __enter__(self):
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.s = time.perf_counter() - self.t0
        return False


if __name__ == "__main__":
    for _ in range(3):
        it = calibrate()
        t = time.perf_counter()
        for _ in range(100):
            cpu_work(0, it)
        print(f"iters for 2 ms: {it}; 100 calls took {(time.perf_counter() - t) * 10:.3f} ms each")
