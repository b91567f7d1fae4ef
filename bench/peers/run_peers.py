"""Run the peer-framework workloads side by side and tabulate them.

    python bench/peers/run_peers.py [--peers flytekit,flyte,prefect,dagster,direct]
                                    [--workloads import,hello,chain,...] [--quick]
                                    [--repeat R] [--timeout S] [--out results.json]

Any python can run this (stdlib only): each peer runs in its own venv under
bench/.venvs/<peer> (created on demand by envs.ensure_env), one fresh process
per measurement, with its state (HOME, PREFECT_HOME, DAGSTER_HOME, TMPDIR) in
a temp dir that is removed afterwards.

Library use (e.g. from bench/bench.py):

    from peers.run_peers import run_peer      # with bench/ on sys.path
    rec = run_peer("prefect", "chain", 100)   # always returns a dict, never raises
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import envs  # noqa: E402
from _common import DEFAULT_N  # noqa: E402

PEERS = ("flytekit", "flyte", "prefect", "dagster")
ALL_PEERS = (*PEERS, "direct")
# import / hello are timed by this script as whole processes (best of `repeat`).
WORKLOADS = ("import", "hello", "chain", "fanout", "fanout_cpu", "dataframe", "cached", "map100k")
IMPORT_MODULE = {
    "flytekit": "flytekit",
    "flyte": "flyte",
    "prefect": "prefect",
    "dagster": "dagster",
}
QUICK_N = {
    "chain": 20,
    "fanout": 50,
    "fanout_cpu": 50,
    "dataframe": 100_000,
    "cached": 20,
    "map100k": 1000,
    "hello": 1,
}
WHOLE_PROCESS_REPEAT = 5
# Workloads a peer does not run at all: (peer, workload) -> reason.
SKIP = {
    ("dagster", "map100k"): (
        "not cheap: dagster's dynamic-output fan-out runs ~40-45 items/s here (see fanout), "
        "so 100k items would take ~40 min"
    ),
    ("prefect", "map100k"): (
        "not feasible here: task.map slows down as n grows (15 ms/item at n=1000, 40 ms/item and "
        "1 GiB peak RSS at n=10000: 404 s), so n=100000 would take over an hour; "
        "run it anyway with run_peer(..., force=True) or --force"
    ),
}


def _script(peer: str) -> Path:
    if peer == "direct":
        return HERE / "direct_parquet.py"
    return HERE / f"{peer}_work.py"


def _python(peer: str) -> Path:
    if peer == "direct":
        # any env with pandas + pyarrow: every peer venv installs them; prefer an existing one
        for p in PEERS:
            if (envs.venv_dir(p) / ".slipstream-bench-installed").exists():
                return envs.venv_python(p)
        return envs.ensure_env("flytekit")
    return envs.ensure_env(peer)


def _run_process(cmd: list[str], env: dict, timeout: float) -> dict:
    """Run cmd in its own session; return rc, wall, stdout, stderr tail, child rusage."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen(
            cmd,
            stdout=out,
            stderr=err,
            env=env,
            cwd=str(HERE.parent.parent),
            start_new_session=True,
        )
        deadline = t0 + timeout
        timed_out = False
        ru = None
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                p.returncode = os.waitstatus_to_exitcode(status)
                break
            if time.perf_counter() > deadline:
                timed_out = True
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGKILL)
                _, status, ru = os.wait4(p.pid, 0)
                p.returncode = os.waitstatus_to_exitcode(status)
                break
            time.sleep(0.005)
        wall = time.perf_counter() - t0
        # reap anything left behind in the session (e.g. a server that outlived its parent)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(p.pid, signal.SIGKILL)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
    return {
        "rc": p.returncode,
        "wall_s": wall,
        "stdout": stdout,
        "stderr_tail": stderr[-3000:],
        "timed_out": timed_out,
        "maxrss_mib": round(ru.ru_maxrss / 1024, 1) if ru else None,
    }


def _parse(res: dict) -> dict | None:
    for line in reversed(res["stdout"].strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                return None
    return None


def _env_for(home: str) -> dict:
    env = dict(os.environ)
    for k in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "PREFECT_API_URL", "PREFECT_PROFILE"):
        env.pop(k, None)
    tmp = os.path.join(home, "tmp")
    os.makedirs(tmp, exist_ok=True)
    env.update(
        SLIPBENCH_HOME=home,
        TMPDIR=tmp,
        HOME=home,
        PREFECT_HOME=os.path.join(home, ".prefect"),
        DAGSTER_HOME=os.path.join(home, ".dagster"),
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def _error(peer, workload, n, msg, **kw) -> dict:
    return {"peer": peer, "workload": workload, "n": n, "ok": False, "error": msg, **kw}


def _run_script(peer, workload, n, py, home, timeout) -> dict:
    cmd = [str(py), str(_script(peer)), workload, "--n", str(n)]
    res = _run_process(cmd, _env_for(home), timeout)
    rec = _parse(res)
    if res["timed_out"]:
        return _error(
            peer,
            workload,
            n,
            f"timed out after {timeout:.0f} s",
            process_wall_s=round(res["wall_s"], 3),
            stderr_tail=res["stderr_tail"][-1500:],
        )
    if res["rc"] != 0 or rec is None:
        return _error(
            peer,
            workload,
            n,
            f"exit code {res['rc']}" + ("" if rec else ", no JSON line"),
            process_wall_s=round(res["wall_s"], 3),
            stderr_tail=res["stderr_tail"][-1500:],
        )
    rec.setdefault("ok", "skipped" not in rec)
    rec["process_wall_s"] = round(res["wall_s"], 3)
    rec["process_maxrss_mib"] = res["maxrss_mib"]
    return rec


def run_peer(
    peer: str,
    workload: str,
    n: int | None = None,
    *,
    timeout: float = 600.0,
    repeat: int | None = None,
    force: bool = False,
) -> dict:
    """Run one workload for one peer in fresh process(es); return its result dict.

    peer: "flytekit" | "flyte" | "prefect" | "dagster" | "direct" (pyarrow baseline,
    dataframe only). workload: one of WORKLOADS. n: size (None = the workload's default).
    timeout: seconds per process. repeat: processes to run, keeping the fastest
    (default 5 for "import"/"hello", 1 otherwise). force: run pairs listed in SKIP anyway.

    The dict always has "peer", "workload", "n", "ok" (bool); when ok it has
    "wall_s" (seconds; in-process after imports, or whole process for import/hello),
    "per_item_ms", "peak_rss_mib", "peak_rss_sum_mib" and "version"; when not ok,
    "error" (and "stderr_tail"), or "skipped" with a reason. Never raises.
    """
    if n is None:
        n = DEFAULT_N.get(workload, 1) if workload != "import" else 1
    try:
        if peer not in ALL_PEERS:
            return _error(peer, workload, n, f"unknown peer; known: {ALL_PEERS}")
        if workload not in WORKLOADS:
            return _error(peer, workload, n, f"unknown workload; known: {WORKLOADS}")
        if peer == "direct" and workload != "dataframe":
            return {
                "peer": "direct-pyarrow",
                "workload": workload,
                "n": n,
                "ok": False,
                "skipped": "direct baseline only has the dataframe workload",
            }
        if (peer, workload) in SKIP and not force:
            return {
                "peer": peer,
                "workload": workload,
                "n": n,
                "ok": False,
                "skipped": SKIP[(peer, workload)],
            }
        try:
            py = _python(peer)
        except Exception as e:
            return _error(peer, workload, n, f"environment not available: {e}")
        version = envs.peer_version(peer) if peer != "direct" else None

        if workload == "import":
            return _whole_process(
                peer,
                workload,
                n,
                [str(py), "-c", f"import {IMPORT_MODULE[peer]}"],
                repeat or WHOLE_PROCESS_REPEAT,
                timeout,
                version,
            )
        if workload == "hello":
            return _whole_process(
                peer,
                workload,
                n,
                [str(py), str(_script(peer)), "hello"],
                repeat or WHOLE_PROCESS_REPEAT,
                timeout,
                version,
            )

        best = None
        runs = []
        for _ in range(repeat or 1):
            with tempfile.TemporaryDirectory(prefix=f"slipbench-{peer}-") as home:
                if workload == "cached":
                    first = _run_script(peer, workload, n, py, home, timeout)
                    if not first.get("ok"):
                        return first
                    rec = _run_script(peer, workload, n, py, home, timeout)
                    if rec.get("ok"):
                        rec["first_run_wall_s"] = first.get("wall_s")
                        rec["note"] = "second of two processes sharing one cache dir"
                else:
                    rec = _run_script(peer, workload, n, py, home, timeout)
            if not rec.get("ok"):
                return rec
            runs.append(rec["wall_s"])
            if best is None or rec["wall_s"] < best["wall_s"]:
                best = rec
        if len(runs) > 1:
            best["runs_wall_s"] = runs
        best.setdefault("version", version)
        return best
    except Exception as e:
        return _error(peer, workload, n, f"{type(e).__name__}: {e}")


def _whole_process(peer, workload, n, cmd, repeat, timeout, version) -> dict:
    """Best-of-`repeat` wall time of a whole process; one state dir for all repeats
    (warm: Prefect's SQLite DB etc. already exist after the first run)."""
    walls, rss = [], []
    last_json = None
    with tempfile.TemporaryDirectory(prefix=f"slipbench-{peer}-") as home:
        env = _env_for(home)
        for _ in range(repeat):
            res = _run_process(cmd, env, timeout)
            if res["timed_out"] or res["rc"] != 0:
                what = (
                    f"timed out after {timeout:.0f} s"
                    if res["timed_out"]
                    else f"exit code {res['rc']}"
                )
                return _error(peer, workload, n, what, stderr_tail=res["stderr_tail"][-1500:])
            walls.append(round(res["wall_s"], 4))
            rss.append(res["maxrss_mib"])
            last_json = _parse(res) or last_json
    best = min(walls)
    rec = {
        "peer": peer,
        "workload": workload,
        "n": n,
        "ok": True,
        "wall_s": best,
        "per_item_ms": round(best * 1000 / max(n, 1), 3),
        "runs_wall_s": walls,
        "peak_rss_mib": max(rss),
        "peak_rss_sum_mib": None,
        "version": version,
        "note": f"whole process, best of {repeat}",
    }
    if last_json:
        rec["peak_rss_sum_mib"] = last_json.get("peak_rss_sum_mib")
        rec["inprocess_wall_s"] = last_json.get("wall_s")
    return rec


# ---------------------------------------------------------------- table output
def _fmt(rec: dict) -> str:
    if rec.get("skipped"):
        return "skipped"
    if not rec.get("ok"):
        return "ERROR"
    w = rec["wall_s"]
    s = f"{w:.3f}s" if w < 100 else f"{w:.0f}s"
    if rec["workload"] in ("chain", "fanout", "fanout_cpu", "cached", "map100k"):
        s += f" ({rec['per_item_ms']:.2f}ms/it)"
    if rec.get("peak_rss_mib") is not None:
        s += f" {rec['peak_rss_mib']:.0f}MiB"
    return s


def table(results: list[dict]) -> str:
    peers = list(dict.fromkeys(r["peer"] for r in results))
    wls = list(dict.fromkeys(r["workload"] for r in results))
    cell = {(r["peer"], r["workload"]): r for r in results}
    head = ["workload (n)", *peers]
    rows = []
    for w in wls:
        ns = {cell[(p, w)]["n"] for p in peers if (p, w) in cell}
        label = w if w in ("import", "hello") else f"{w} ({'/'.join(map(str, sorted(ns)))})"
        rows.append([label] + [_fmt(cell[(p, w)]) if (p, w) in cell else "" for p in peers])
    widths = [max(len(x) for x in col) for col in zip(head, *rows, strict=True)]

    def line(cols: list[str]) -> str:
        return "| " + " | ".join(c.ljust(wd) for c, wd in zip(cols, widths, strict=True)) + " |"

    out = [line(head), "|" + "|".join("-" * (wd + 2) for wd in widths) + "|"]
    out += [line(r) for r in rows]
    errs = [r for r in results if not r.get("ok")]
    for r in errs:
        why = r.get("skipped") or r.get("error")
        out.append(
            f"- {r['peer']}/{r['workload']}: {'skipped' if r.get('skipped') else 'ERROR'}: {why}"
        )
    return "\n".join(out)


def _cpu_work_ms(calls: int = 200) -> float:
    """Cost of one fanout_cpu item (``_common.cpu_work``) in plain Python here, best of 3."""
    from _common import cpu_work

    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        for i in range(calls):
            cpu_work(i)
        best = min(best, (time.perf_counter() - t) * 1000 / calls)
    return round(best, 3)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--peers", default=",".join(ALL_PEERS))
    ap.add_argument("--workloads", default=",".join(WORKLOADS))
    ap.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    ap.add_argument("--n", type=int, default=None, help="override n for every workload")
    ap.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="processes per in-process measurement, keep fastest (map100k: always 1)",
    )
    ap.add_argument(
        "--whole-repeat",
        type=int,
        default=WHOLE_PROCESS_REPEAT,
        help="processes for import/hello, keep fastest",
    )
    ap.add_argument(
        "--force", action="store_true", help="also run the (peer, workload) pairs in SKIP"
    )
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds per process")
    ap.add_argument("--out", default=None, help="write JSON results here")
    args = ap.parse_args(argv)
    peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    wls = [w.strip() for w in args.workloads.split(",") if w.strip()]
    load_start = os.getloadavg()
    results = []
    for w in wls:
        for p in peers:
            if p == "direct" and w != "dataframe":
                continue
            n = args.n if args.n is not None else (QUICK_N.get(w) if args.quick else None)
            if w == "import":
                n = 1
            t = time.perf_counter()
            rep = (
                args.whole_repeat
                if w in ("import", "hello")
                else (1 if w == "map100k" else args.repeat)
            )
            rec = run_peer(p, w, n, timeout=args.timeout, repeat=rep, force=args.force)
            print(
                f"[{time.perf_counter() - t:6.1f}s] {p:9s} {w:11s} -> {_fmt(rec)}"
                + (f"  ({rec.get('error') or rec.get('skipped')})" if not rec.get("ok") else ""),
                file=sys.stderr,
                flush=True,
            )
            results.append(rec)
    print(table(results))
    if args.out:
        meta = {
            "cpu_work_ms": _cpu_work_ms(),
            "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "machine": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "quick": args.quick,
            "loadavg_start": [round(x, 2) for x in load_start],
            "loadavg_end": [round(x, 2) for x in os.getloadavg()],
            "versions": {p: envs.peer_version(p) for p in PEERS if p in peers},
        }
        Path(args.out).write_text(json.dumps({"meta": meta, "results": results}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
