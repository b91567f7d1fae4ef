"""Spark tasks on a standalone Spark cluster (one master, two workers, started from pyspark's own
launcher on loopback): a Spark task makes a DataFrame, a second Spark task reads and aggregates
it, a pandas task reads it too; a master that cannot be reached fails the task naming Spark and
the master's URL."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from live_server import child_env, cli_command

pytestmark = pytest.mark.timeout(120)

pyspark = pytest.importorskip("pyspark", reason="pyspark is not installed (the [spark] extra)")

FLOWS = """
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from slipstream import current_context, task, workflow
from slipstream.extras.spark import Spark

CONF = {
    "spark.executor.memory": "512m",
    "spark.executor.cores": "1",
    "spark.cores.max": "2",
    "spark.ui.enabled": "false",
}


@task(task_config=Spark(spark_conf=CONF))
def make(n: int) -> DataFrame:
    spark = current_context().spark_session
    rows = [(i % 3, i) for i in range(n)]
    return spark.createDataFrame(rows, ["k", "v"]).repartition(2)


@task(task_config=Spark(spark_conf=CONF))
def totals(df: DataFrame) -> str:
    got = df.groupBy("k").agg(F.sum("v").alias("s")).orderBy("k").collect()
    master = current_context().spark_session.sparkContext.master
    return master + " " + ",".join(f"{r.k}:{r.s}" for r in got)


@task
def size(df: pd.DataFrame) -> int:
    return int(df["v"].sum())


@workflow
def flow(n: int = 10) -> tuple[str, int]:
    df = make(n=n)
    return totals(df=df), size(df=df)


@task(task_config=Spark(spark_conf={"spark.ui.enabled": "false"}))
def app(n: int) -> str:
    return current_context().spark_session.sparkContext.applicationId


@workflow
def two_apps() -> tuple[str, str]:
    return app(n=1), app(n=2)


@task(task_config=Spark(spark_conf={"spark.master": "spark://127.0.0.1:DEAD_PORT"}))
def unreachable() -> int:
    return current_context().spark_session.range(3).count()


@workflow
def bad() -> int:
    return unreachable()
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen[bytes], log: Path, deadline_s: float) -> None:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"Spark process exited: {log.read_text()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"Spark process did not listen on {port}: {log.read_text()[-2000:]}")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A standalone master and two workers (512 MB, one core each); the master's URL."""
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Java is not installed: Spark needs a JVM (.ci/run installs Debian's)")
    root = tmp_path_factory.mktemp("spark")
    spark_class = str(Path(pyspark.__file__).parent / "bin" / "spark-class")
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_WORKER_DIR": str(root / "work")}
    port, ui = _free_port(), _free_port()
    master = f"spark://127.0.0.1:{port}"
    procs: list[subprocess.Popen[bytes]] = []

    def start(name: str, *args: str) -> tuple[subprocess.Popen[bytes], Path]:
        log = root / f"{name}.log"
        with log.open("wb") as out:
            p = subprocess.Popen([spark_class, *args], stdout=out, stderr=out, env=env)
        procs.append(p)
        return p, log

    try:
        p, log = start("master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                       "--port", str(port), "--webui-port", str(ui))  # fmt: skip
        _wait_port(port, p, log, 60)
        for i in range(2):
            wport = _free_port()
            p, log = start(f"worker{i}", "org.apache.spark.deploy.worker.Worker", master,
                           "--host", "127.0.0.1", "--port", str(wport), "--webui-port",
                           str(_free_port()), "--cores", "1", "--memory", "512m")  # fmt: skip
            _wait_port(wport, p, log, 60)
        yield master
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


@pytest.fixture
def flows(tmp_path: Path) -> Path:
    path = tmp_path / "spark_flows.py"
    path.write_text(FLOWS.replace("DEAD_PORT", str(_free_port())))
    return path


def _run(path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli_command("run", str(path), *args),
        capture_output=True,
        text=True,
        env={**child_env(path.parent / "home"), "SPARK_LOCAL_IP": "127.0.0.1", **env},
        cwd=path.parent,
        timeout=110,
    )


def test_spark_tasks_pass_a_dataframe_on_a_standalone_cluster(cluster: str, flows: Path) -> None:
    done = _run(flows, "flow", "--n", "10", "--json", SLIPSTREAM_SPARK_MASTER=cluster)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout)
    # 0..9 by i % 3: 0+3+6+9, 1+4+7, 2+5+8
    assert out == {"o0": f"{cluster} 0:18,1:12,2:15", "o1": 45}
    data = list((flows.parent / "home").rglob("*.parquet"))
    assert data, "the Spark task's output is Parquet in the store"


def test_the_session_is_stopped_after_each_attempt(flows: Path) -> None:
    done = _run(flows, "two_apps", "--runner", "inline", "--json")  # local[*]: no master set
    assert done.returncode == 0, done.stderr[-3000:]
    first, second = json.loads(done.stdout).values()
    assert first.startswith("local-") and second.startswith("local-")
    assert first != second, "one process ran both attempts, each with a session of its own"


def test_an_unreachable_master_fails_the_task_naming_spark_and_the_url(flows: Path) -> None:
    started = time.monotonic()
    failed = _run(flows, "bad", "--runner", "inline")
    assert failed.returncode != 0
    assert "Spark master spark://127.0.0.1:" in failed.stderr, failed.stderr[-3000:]
    assert "cannot be reached" in failed.stderr
    assert time.monotonic() - started < 30
