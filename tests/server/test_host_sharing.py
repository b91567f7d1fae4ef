"""Several engine hosts on one database: they share executions through leases, and when one is
killed another takes its executions over within the lease time, without re-running what finished."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import pytest
from engine_procs import cluster, db_rows, launch, marks, register_flows, wait_phase
from live_server import BACKENDS

pytestmark = pytest.mark.timeout(240)

LEASE_S = 3.0


def _hosts(db_url: str, names: list[str]) -> Counter[str]:
    rows = db_rows(
        db_url,
        "SELECT a.record FROM attempts a JOIN executions e ON e.id = a.execution_id",
    )
    hosts: Counter[str] = Counter()
    for (record,) in rows:
        runner = json.loads(record).get("runner", "")
        hosts[runner.split("@", 1)[-1]] += 1
    return hosts


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_engine_hosts_share_the_executions_of_one_database(
    backend: str, tmp_path: Path
) -> None:
    with cluster(backend, tmp_path, SLIPSTREAM_LEASE_S=str(LEASE_S)) as c:
        server = c.server("--no-engine")
        server.start()
        c.wait_ready()
        register_flows(c)
        a, b = c.engine("a", workers=1), c.engine("b", workers=1)
        a.start()
        b.start()
        for e in (a, b):  # both claim from the start: neither can take everything alone
            e.wait_output("running executions")
        # more executions than one host takes on its own: an idle host claims batches until its
        # runner holds 16 attempts per worker, so a burst of 16 could all go to the first to look
        names = [launch(c, "durable", {"n": 3, "delay": 0.05}) for _ in range(48)]
        for name in names:
            rec = wait_phase(c, name, timeout=120)
            assert rec["phase"] == "SUCCEEDED", rec
        hosts = _hosts(c.db_url, names)
        assert len(hosts) == 2, f"attempts ran on {dict(hosts)}:\n" + "\n".join(
            p.output()[-1500:] for p in (a, b)
        )
        assert all(p.process is not None and p.process.poll() is None for p in (a, b))
        print(f"{backend}: attempts per host {sorted(hosts.values())}")


@pytest.mark.parametrize("backend", BACKENDS)
def test_killed_engine_host_is_taken_over_within_the_lease_time(
    backend: str, tmp_path: Path
) -> None:
    mark_file = tmp_path / "marks"
    with cluster(
        backend, tmp_path, SLIPSTREAM_LEASE_S=str(LEASE_S), SLIPSTREAM_TEST_MARKS=str(mark_file)
    ) as c:
        server = c.server("--no-engine")
        server.start()
        c.wait_ready()
        register_flows(c)
        engines = {"a": c.engine("a", workers=1), "b": c.engine("b", workers=1)}
        for e in engines.values():
            e.start()
        for e in engines.values():  # the survivor is up before the kill, not started by it
            e.wait_output("running executions")
        n = 40
        name = launch(c, "durable", {"n": n, "delay": 0.05})
        owner = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # running, with a few map items done
            rows = db_rows(
                c.db_url, "SELECT lease_owner, phase FROM executions WHERE name = :n", n=name
            )
            done = sum(1 for ex, node, _ in marks(mark_file) if ex == name and "[" in node)
            if rows and rows[0][0] and rows[0][1] == "RUNNING" and done >= 5:
                owner = rows[0][0]
                break
            time.sleep(0.05)
        assert owner, "the execution never started:\n" + "\n".join(
            p.output()[-2000:] for p in c.procs
        )
        pid = int(owner.split(":")[1])
        victim = next(e for e in engines.values() if e.pid == pid)
        survivor = next(e for e in engines.values() if e is not victim)
        victim.kill9()
        killed_at = time.monotonic()
        done_then = {
            r[0]
            for r in db_rows(
                c.db_url,
                "SELECT n.path FROM node_executions n JOIN executions e ON e.id = n.execution_id "
                "WHERE e.name = :n AND n.phase = 'SUCCEEDED'",
                n=name,
            )
        }
        ran_then = Counter(node for ex, node, _ in marks(mark_file) if ex == name)
        taken = None
        while time.monotonic() - killed_at < LEASE_S + 20:
            rows = db_rows(c.db_url, "SELECT lease_owner FROM executions WHERE name = :n", n=name)
            if rows[0][0] and rows[0][0] != owner:
                taken = time.monotonic() - killed_at
                break
            time.sleep(0.05)
        assert taken is not None, "no engine host took the execution over"
        assert taken <= LEASE_S + 2.0, f"taken over after {taken:.1f}s (lease {LEASE_S}s)"
        rec = wait_phase(c, name, timeout=120)
        assert rec["phase"] == "SUCCEEDED", rec
        assert rec["outputs"] == {"o0": sum(2 * (2 + k) for k in range(n)) + 1}
        final = Counter(node for ex, node, _ in marks(mark_file) if ex == name)
        again = {p: (ran_then[p], final[p]) for p in done_then if final[p] != ran_then[p]}
        assert not again, f"finished nodes ran again after the takeover: {again}"
        assert survivor.process is not None and survivor.process.poll() is None
        print(f"{backend}: taken over {taken:.2f}s after the kill (lease {LEASE_S}s)")
