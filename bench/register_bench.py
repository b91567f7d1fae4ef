"""Registration of a 50-module project: from scratch, unchanged, and after a one-line change.

    python bench/register_bench.py [--modules 50] [--repeat 5] [--db URL]

Each registration is the real command, ``slipstream register PKG`` in a fresh interpreter, timed
end to end (interpreter start, imports, bundling, upload, registration). Goals: unchanged < 1 s,
one-line change < 2 s. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import _server_proc as S

MODULE = '''
from slipstream import LaunchPlan, Resources, task, workflow


@task(requests=Resources(cpu="1", mem="256Mi"), retries=2)
def prepare_{i}(x: int) -> int:
    """Scale the input."""
    return 2 * x + {i}


@task(cache=True, cache_version="1")
def combine_{i}(a: int, b: int) -> int:
    return a + b


@workflow
def pipeline_{i}(x: int = 3) -> int:
    return combine_{i}(a=prepare_{i}(x=x), b=x)


nightly_{i} = LaunchPlan.get_or_create(pipeline_{i}, name="{pkg}.nightly_{i}", default_inputs={{"x": {i}}})
'''


def write_project(root: Path, modules: int) -> Path:
    pkg_name = f"benchpkg_{uuid.uuid4().hex[:8]}"
    pkg = root / pkg_name
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    for i in range(modules):
        (pkg / f"mod{i:02d}.py").write_text(MODULE.format(i=i, pkg=pkg_name))
    return pkg


def register(home: Path, url: str, pkg: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        S.cli("register", str(pkg), "-p", "bench", "--json"),
        env=S.env(home, SLIPSTREAM_ENDPOINT=url),
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    if done.returncode:
        raise RuntimeError(done.stderr)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--modules", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--db", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        db = args.db or f"sqlite:///{home / 'slipstream.db'}"
        proc, url = S.start(home, db)
        try:
            import httpx

            httpx.post(
                f"{url}/api/v1/projects", json={"name": "bench"}, headers=S.headers()
            ).raise_for_status()
            pkg = write_project(Path(tmp) / "code", args.modules)
            scratch = register(home, url, pkg)
            unchanged = [register(home, url, pkg) for _ in range(args.repeat)]
            changed = []
            for n in range(args.repeat):
                target = pkg / "mod07.py"
                target.write_text(target.read_text().replace("2 * x +", f"{n + 3} * x +", 1))
                changed.append(register(home, url, pkg))
                target.write_text(target.read_text().replace(f"{n + 3} * x +", "2 * x +", 1))
                register(home, url, pkg)  # back to the registered state (unchanged)
            noop = subprocess.run(S.cli("--help"), env=S.env(home), capture_output=True, check=True)
            assert noop.returncode == 0
            start = time.perf_counter()
            subprocess.run(S.cli("--help"), env=S.env(home), capture_output=True, check=True)
            startup = time.perf_counter() - start
        finally:
            S.stop(proc)
    print(
        json.dumps(
            {
                "modules": args.modules,
                "entities_per_registration": args.modules * 5,
                "database": "postgresql" if args.db else "sqlite",
                "from_scratch_s": round(scratch, 3),
                "unchanged_median_s": round(statistics.median(unchanged), 3),
                "unchanged_max_s": round(max(unchanged), 3),
                "one_line_change_median_s": round(statistics.median(changed), 3),
                "one_line_change_max_s": round(max(changed), 3),
                "cli_startup_s": round(startup, 3),
                "goals": {"unchanged_s": 1.0, "one_line_change_s": 2.0},
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
