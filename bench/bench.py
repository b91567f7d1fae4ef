"""slipstream's local benchmark, side by side with flytekit, Flyte 2, Prefect and Dagster.

    .venv/bin/python bench/bench.py [--quick] [--peers flytekit,flyte,prefect,dagster,direct|none]
                                    [--workloads import,hello,chain,...] [--million] [--out F]

Workloads (issue 3 and 4): whole-process ``import`` and ``hello``; a ``chain`` of 100 trivial tasks;
a ``fanout`` of 1,000 trivial tasks and ``fanout_cpu`` with ~2 ms of CPU per item; a ``dataframe``
of 5,000,000 x 4 floats passed between two tasks (beside writing and reading the same Parquet
directly with pyarrow); the chain ``cached`` (second of two processes sharing one cache); and a
``map100k`` of 100,000 trivial items (``--million`` adds 1,000,000 items for the memory curve).
slipstream runs each with the inline and the local runner; every peer runs in its own virtual
environment under bench/.venvs (created on first use), one fresh process per measurement. Figures
are printed as a table with the ratios and the goals of the issues.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE / "peers"))

import run_peers as rp  # noqa: E402

WORKLOADS = ("import", "hello", "chain", "fanout", "fanout_cpu", "dataframe", "cached", "map100k")
RUNNERS = ("inline", "local")


def run_slipstream(runner: str, workload: str, n: int | None, repeat: int = 5) -> dict:
    """One slipstream measurement in fresh processes (same harness as the peers)."""
    peer = f"slipstream-{runner}"
    py = sys.executable
    if workload == "import":
        cmd = [py, "-c", "import slipstream"]
        return rp._whole_process(peer, workload, 1, cmd, repeat, 120, None)
    if workload == "hello":
        cmd = [py, str(ROOT / "examples" / "hello.py")]
        return rp._whole_process(peer, workload, 1, cmd, repeat, 120, None)
    n = n if n is not None else rp.DEFAULT_N.get(workload, 1)
    with tempfile.TemporaryDirectory(prefix="slipbench-slipstream-") as home:
        env = rp._env_for(home)
        env["SLIPBENCH_RUNNER"] = runner
        cmd = [py, str(HERE / "slipstream_work.py"), workload, "--n", str(n)]
        first = None
        if workload == "cached":
            first = rp._parse(rp._run_process(cmd, env, 1200))
        res = rp._run_process(cmd, env, 1200)
        rec = rp._parse(res)
        if res["rc"] != 0 or rec is None:
            return rp._error(peer, workload, n, f"exit code {res['rc']}",
                             stderr_tail=res["stderr_tail"][-1500:])  # fmt: skip
        rec["ok"] = True
        if first:
            rec["first_run_wall_s"] = first.get("wall_s")
        return rec


def _ratio(a: dict | None, b: dict | None) -> str:
    if not a or not b or not a.get("ok") or not b.get("ok"):
        return "n/a"
    return f"{a['wall_s'] / b['wall_s']:.2f}x"


def goals(cells: dict[tuple[str, str], dict]) -> list[str]:
    """The issues' goals, checked against the figures of this run."""

    def get(peer: str, w: str) -> dict | None:
        r = cells.get((peer, w))
        return r if r and r.get("ok") else None

    out = []

    def line(label: str, value: float | None, goal: str, ok: bool | None) -> None:
        v = "n/a" if value is None else f"{value:.4g}"
        mark = "?" if ok is None else ("ok" if ok else "MISSED")
        out.append(f"- {label}: {v} (goal {goal}) {mark}")

    for r in RUNNERS:
        c = get(f"slipstream-{r}", "chain")
        limit = 0.1 if r == "inline" else 0.5
        v = c["per_item_ms"] if c else None
        line(f"per-task overhead, {r} (ms)", v, f"<= {limit}", None if v is None else v <= limit)
    c = get("slipstream-inline", "cached")
    v = c["per_item_ms"] if c else None
    line("per cache hit (ms)", v, "<= 0.1", None if v is None else v <= 0.1)
    c = get("slipstream-inline", "import")
    v = c["wall_s"] if c else None
    line("import slipstream, whole process (s)", v, "<= 0.1", None if v is None else v <= 0.1)
    c = get("slipstream-inline", "hello")
    v = c["wall_s"] if c else None
    line("hello example, whole process (s)", v, "<= 0.25", None if v is None else v <= 0.25)
    a, b = get("slipstream-inline", "fanout_cpu"), get("slipstream-local", "fanout_cpu")
    v = a["wall_s"] / b["wall_s"] if a and b else None
    line("CPU fan-out speed-up, local vs inline", v, ">= 1.8", None if v is None else v >= 1.8)
    d = get("direct-pyarrow", "dataframe")
    for r in RUNNERS:
        s = get(f"slipstream-{r}", "dataframe")
        v = s["wall_s"] / d["wall_s"] if s and d else None
        line(
            f"DataFrame hand-off vs direct pyarrow, {r}",
            v,
            "<= 1.5",
            None if v is None else v <= 1.5,
        )
    f = get("flytekit", "dataframe")
    s = get("slipstream-inline", "dataframe")
    v = s["wall_s"] / f["wall_s"] if s and f else None
    line("DataFrame hand-off vs flytekit", v, "<= 1.0", None if v is None else v <= 1.0)
    fk = get("flytekit", "map100k")
    fk_rate = fk["items_per_s"] if fk else 14000.0
    for r, k in (("local", 1.0), ("inline", 2.0)):
        s = get(f"slipstream-{r}", "map100k")
        v = s["items_per_s"] / fk_rate if s else None
        line(f"map 100k throughput vs flytekit ({fk_rate:.0f}/s), {r}", v, f">= {k}",
             None if v is None else v >= k)  # fmt: skip
        m = s.get("peak_rss_sum_mib") if s else None
        line(f"map 100k peak memory, all processes, {r} (MiB)", m, "< 1024",
             None if m is None else m < 1024)  # fmt: skip
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--peers", default="flytekit,flyte,prefect,dagster,direct")
    ap.add_argument("--workloads", default=",".join(WORKLOADS))
    ap.add_argument("--quick", action="store_true", help="small sizes (a smoke test)")
    ap.add_argument("--million", action="store_true", help="also map 1,000,000 items")
    ap.add_argument("--out", default=None, help="write the JSON results here")
    args = ap.parse_args(argv)
    # bytecode for our own sources (an editable install has none; peers' site-packages do)
    compileall.compile_dir(str(ROOT / "src" / "slipstream"), quiet=1)
    peers = [] if args.peers == "none" else [p for p in args.peers.split(",") if p]
    wls = [w for w in args.workloads.split(",") if w]
    results: list[dict] = []
    for w in wls:
        n = rp.QUICK_N.get(w) if args.quick else None
        for r in RUNNERS:
            t = time.perf_counter()
            rec = run_slipstream(r, w, n)
            print(f"[{time.perf_counter() - t:6.1f}s] slipstream-{r:6s} {w:11s} -> {rp._fmt(rec)}",
                  file=sys.stderr, flush=True)  # fmt: skip
            results.append(rec)
        for p in peers:
            if p == "direct" and w != "dataframe":
                continue
            t = time.perf_counter()
            rec = rp.run_peer(p, w, n)
            print(f"[{time.perf_counter() - t:6.1f}s] {p:17s} {w:11s} -> {rp._fmt(rec)}",
                  file=sys.stderr, flush=True)  # fmt: skip
            results.append(rec)
    if args.million:
        for r in RUNNERS:
            rec = run_slipstream(r, "map100k", 1_000_000)
            rec["workload"] = "map1m"
            results.append(rec)
    cells = {(r["peer"], r["workload"]): r for r in results}
    print(rp.table(results))
    print()
    base = "slipstream-local"
    for w in wls:
        ratios = [
            f"{p}: {_ratio(cells.get((p, w)), cells.get((base, w)))}"
            for p in ("slipstream-inline", *peers)
            if (p, w) in cells
        ]
        print(f"{w}: time relative to slipstream-local -> " + ", ".join(ratios))
    print()
    print("\n".join(goals(cells)))
    if args.out:
        meta = {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "cpus": os.cpu_count()}
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps({"meta": meta, "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
