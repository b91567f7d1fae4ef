"""The Ray runner on a real local Ray cluster of two nodes (one CPU and two CPUs).

The cluster is started once for the module (``ray start`` is slow); each node carries a custom
resource so that the tests can tell them apart, and both are stopped at the end.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ray = pytest.importorskip("ray")

import ray_flows as flows  # noqa: E402
from runner_requests import MakeRequest, wait_for  # noqa: E402

from ray_cluster import Cluster, local_ray_cluster  # noqa: E402
from slipstream.model import ErrorKind  # noqa: E402
from slipstream.runners import RayRunner, execute_local  # noqa: E402

pytestmark = [pytest.mark.ray, pytest.mark.timeout(240)]


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with local_ray_cluster(head_cpus=1, second_cpus=2) as c:
        yield c


@pytest.fixture(scope="module")
def runner(cluster: Cluster) -> Iterator[RayRunner]:
    r = RayRunner(cluster.address, code_root=str(Path(flows.__file__).parent), idle_s=60)
    yield r
    r.close()


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLIPSTREAM_HOME", str(tmp_path / "home"))


def test_tasks_land_on_both_nodes(runner: RayRunner, cluster: Cluster) -> None:
    started = time.monotonic()
    nodes = execute_local(flows.spread, {"xs": list(range(6))}, runner=runner).python_outputs()
    assert set(nodes) == {cluster.head, cluster.second}
    assert time.monotonic() - started < 30


def test_two_cpu_task_waits_for_and_lands_on_the_two_cpu_node(
    runner: RayRunner, cluster: Cluster
) -> None:
    # the one-CPU actors of the test before hold every CPU: the runner gives idle ones back
    assert execute_local(flows.two_cpus, {}, runner=runner).python_outputs() == cluster.second


def test_a_task_larger_than_any_node_fails_at_once(runner: RayRunner) -> None:
    started = time.monotonic()
    run = execute_local(flows.too_big, {}, runner=runner)
    assert time.monotonic() - started < 10
    err = run.executor.record.error
    assert err is not None and err.code == "unschedulable", err
    assert "asks 64 CPUs" in err.message and "no node of the Ray cluster" in err.message
    assert "the largest have 2 CPUs" in err.message


def test_an_attempt_over_its_memory_runs_again_in_an_actor_with_twice_the_memory(
    runner: RayRunner,
) -> None:
    run = execute_local(flows.outgrows, {"mib": 250}, runner=runner)  # an actor holds ~130 MiB
    assert run.python_outputs() == 600 << 20  # the actor's Ray memory resource, grown
    attempts = run.executor.store.attempts[run.executor.id]  # type: ignore[attr-defined]
    assert [a.memory_limit >> 20 for a in attempts] == [300, 600]
    assert attempts[0].error is not None and attempts[0].error.kind == ErrorKind.OOM


def test_a_killed_actor_is_retried_as_system(runner: RayRunner, tmp_path: Path) -> None:
    box: dict[str, Any] = {}
    t = threading.Thread(
        target=lambda: box.update(
            run=execute_local(flows.dies_once, {"folder": str(tmp_path)}, runner=runner)
        )
    )
    t.start()
    marker = tmp_path / "pid"
    deadline = time.monotonic() + 60
    while not marker.exists() or not marker.read_text():
        assert time.monotonic() < deadline, "the first attempt did not start"
        time.sleep(0.1)
    victim = int(marker.read_text())
    os.kill(victim, signal.SIGKILL)
    t.join(90)
    run = box["run"]
    assert run.python_outputs() != victim  # the retry ran in another actor
    attempts = run.executor.store.attempts[run.executor.id]
    first = [a for a in attempts if a.error is not None]
    assert first and first[0].error.kind == ErrorKind.SYSTEM, attempts
    assert first[0].error.code == "worker_lost"
    assert "Ray actor" in first[0].error.message


def test_cancel_stops_the_ray_work(
    runner: RayRunner, make_request: MakeRequest, tmp_path: Path
) -> None:
    beats = tmp_path / "beats"
    req = make_request(flows.heartbeat, {"path": str(beats)})
    runner.submit(req)
    deadline = time.monotonic() + 60
    while not beats.exists():
        assert runner.wait(0.1) == []
        assert time.monotonic() < deadline, "the attempt did not start"
    runner.cancel(req.node, req.attempt, req.execution)
    [result] = wait_for(runner, 1)
    assert result.error is not None and result.error.kind == ErrorKind.ABORTED
    time.sleep(0.5)
    count = len(beats.read_text().split())
    time.sleep(1.0)
    assert len(beats.read_text().split()) == count, "the cancelled attempt kept running"


def test_an_image_spec_becomes_the_actors_runtime_env(runner: RayRunner) -> None:
    run = execute_local(flows.envs, {}, runner=runner)
    assert run.python_outputs() == ("0.5.0", "cannot import inflection")
    refused = execute_local(flows.with_base_image, {}, runner=runner).executor.record.error
    assert refused is not None and refused.code == "environment_build_failed"
    assert "base_image 'ubuntu:24.04' needs an image build" in refused.message
    assert "the Ray runner" in refused.message


def test_code_roots_are_shipped_to_nodes_that_cannot_read_them(runner: RayRunner) -> None:
    runner.close()  # its idle actors would hold the CPUs the next runner needs
    with RayRunner(code_root=str(Path(flows.__file__).parent), ship_code=True) as shipping:
        where = execute_local(flows.module_file, {}, runner=shipping).python_outputs()
    # the actor imported the task's module from its own unpacked copy, not from this folder
    assert "slipstream-code-" in where and Path(where).name == "ray_flows.py"
    assert Path(where).parent != Path(flows.__file__).parent


def test_slipstream_run_runner_ray(cluster: Cluster, tmp_path: Path) -> None:
    env = dict(os.environ, RAY_ADDRESS=cluster.address, SLIPSTREAM_HOME=str(tmp_path / "h"))
    exe = str(Path(sys.executable).parent / "slipstream")
    out = subprocess.run(
        [exe, "--json", "run", "--runner", "ray", flows.__file__, "chain", "--n", "4"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {"o0": 7}


_SERVER_FLOWS = """
import time
from slipstream import task, workflow


@task
def inc(x: int) -> int:
    return x + 1


@workflow
def chain(x: int) -> int:
    return inc(x=inc(x=x))


@task
def beat(path: str) -> int:
    for i in range(1200):
        with open(path, "a") as f:
            f.write(f"{i}\\n")
        time.sleep(0.05)
    return 0


@workflow
def beating(path: str) -> int:
    return beat(path=path)
"""


def test_server_runs_on_ray_and_an_abort_cancels_the_ray_work(
    cluster: Cluster, tmp_path: Path
) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))
    from live_server import start_server

    from slipstream.model import ExecutionPhase
    from slipstream.remote import Remote

    home = tmp_path / "srv"
    server = start_server(
        "sqlite",
        f"sqlite:///{home / 'slipstream.db'}",
        home,
        "--no-auth",
        "--runner",
        "ray",
        "--ray-address",
        cluster.address,
    )
    try:
        pkg = tmp_path / "code" / "rayflows"
        pkg.mkdir(parents=True)
        (pkg / "__init__.py").write_text("")
        (pkg / "flows.py").write_text(_SERVER_FLOWS)
        with Remote(server.url, "rayp", "development") as remote:
            remote.create_project("rayp")
            remote.register(pkg, version="v1")
            module = sys.modules["rayflows.flows"]
            done = remote.execute(module.chain, {"x": 1}, wait=True, timeout=90, poll_interval=0.2)
            assert done.phase is ExecutionPhase.SUCCEEDED, done.error
            assert remote.outputs(done) == {"o0": 3}

            beats = tmp_path / "beats"
            ex = remote.execute(module.beating, {"path": str(beats)})
            deadline = time.monotonic() + 90
            while not beats.exists():
                assert time.monotonic() < deadline, "the attempt did not start on Ray"
                time.sleep(0.2)
            remote.terminate(ex, cause="test")
            ended = remote.wait(ex, timeout=30, poll_interval=0.2)
            assert ended.phase is ExecutionPhase.ABORTED
            time.sleep(0.5)
            count = len(beats.read_text().split())
            time.sleep(1.0)
            assert len(beats.read_text().split()) == count, "the aborted attempt kept running"
    finally:
        assert server.stop() == 0, "".join(server.output)
