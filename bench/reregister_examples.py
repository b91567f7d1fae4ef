"""Re-registering the repository's ``examples/`` (scikit-learn, pandas included) when nothing
changed: the specs come from the spec cache, so the user's modules are not imported.

    python bench/reregister_examples.py [--repeat 5] [--db URL]

Each registration is the real command, ``slipstream register examples`` in a fresh interpreter,
timed end to end (interpreter start, bundling, upload check, registration). Goal: under 1 s.
Prints one JSON object: the first registration (imports everything), the unchanged ones, and the
unchanged ones with ``--reimport`` (what every registration cost before the spec cache).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import _server_proc as S

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def register(home: Path, url: str, *extra: str) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        S.cli("register", str(EXAMPLES), "-p", "bench", "--json", *extra),
        env=S.env(home, SLIPSTREAM_ENDPOINT=url),
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    if done.returncode:
        raise RuntimeError(done.stdout + done.stderr)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
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
            first = register(home, url)
            unchanged = [register(home, url) for _ in range(args.repeat)]
            reimport = [register(home, url, "--reimport") for _ in range(max(1, args.repeat // 2))]
        finally:
            S.stop(proc)
    print(
        json.dumps(
            {
                "files": sorted(p.name for p in EXAMPLES.glob("*.py")),
                "first_s": round(first, 3),
                "unchanged_median_s": round(statistics.median(unchanged), 3),
                "unchanged_max_s": round(max(unchanged), 3),
                "unchanged_reimport_median_s": round(statistics.median(reimport), 3),
                "goal_unchanged_s": 1.0,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
