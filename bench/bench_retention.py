"""What one collection costs: ``slipstream gc``'s two passes over a database of ended executions.

    python bench/bench_retention.py [--doomed 200] [--kept 2000] [--backends sqlite,postgresql]

Makes ``--doomed`` executions older than the policy and ``--kept`` young ones (one in ten reads a
doomed execution's output), each with a node, an attempt, an event and three blobs in a local
store, then times the collection that deletes the rows (and records the folders) and the one that
sweeps the blobs (one scan of what the kept rows name, then the folders). PostgreSQL gets a
throwaway database on 127.0.0.1:5432 (user postgres).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests" / "server"))

from live_server import pg_database  # noqa: E402
from retention_data import blob_input, make_execution  # noqa: E402

from slipstream.model import GcRequest, RetentionPolicy, Settings  # noqa: E402
from slipstream.server import Database  # noqa: E402
from slipstream.server._projects import ProjectService, SettingsService  # noqa: E402
from slipstream.server._retention import Collector  # noqa: E402

DOMAINS = ("development", "staging", "production")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--doomed", type=int, default=200)
    parser.add_argument("--kept", type=int, default=2000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    for backend in args.backends.split(","):
        tmp = Path(tempfile.mkdtemp(prefix="slipstream-bench-gc-"))
        url = f"sqlite:///{tmp / 'x.db'}" if backend == "sqlite" else pg_database()
        store = (tmp / "data").as_uri()
        db = Database(url)
        db.upgrade()
        doomed = [make_execution(db, store, "proj", age_days=90) for _ in range(args.doomed)]
        for i in range(args.kept):
            reads = blob_input(doomed[i % len(doomed)].output) if i % 10 == 0 else None
            make_execution(db, store, "proj", age_days=1, inputs=reads)
        projects = ProjectService(db, DOMAINS)
        policy = Settings(retention=RetentionPolicy(keep_days=30))
        SettingsService(db, projects).put("proj", "", policy)
        gc = Collector(db, projects, store, (), grace_s=0.0)
        start = time.perf_counter()
        rows = gc.collect(GcRequest())
        marked = time.perf_counter()
        blobs = gc.collect(GcRequest())
        swept = time.perf_counter()
        print(
            f"{backend}: rows of {rows.executions_total} executions in {marked - start:.2f} s; "
            f"sweep in {swept - marked:.2f} s ({blobs.blobs_deleted} blobs deleted, "
            f"{blobs.blobs_kept} kept, {args.kept} kept executions scanned)"
        )
        db.dispose()


if __name__ == "__main__":
    main()
