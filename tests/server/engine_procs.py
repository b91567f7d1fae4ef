"""Server and engine processes that tests start, kill (SIGKILL) and start again on one database.

Unlike ``live_server`` (one long-lived server per backend), these are made per test: a test owns
its home, database and processes, so it may kill them at will.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from live_server import PG_ADMIN, child_env, cli_command, end_with_parent

FLOWS = Path(__file__).with_name("flows")
TERMINAL = {"SUCCEEDED", "FAILED", "ABORTED", "TIMED_OUT"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def fresh_db(backend: str, tmp_path: Path) -> Iterator[str]:
    """A database URL nobody else uses: a SQLite file, or a new PostgreSQL database."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'slipstream.db'}"
        return
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Proc:
    """A ``slipstream server`` or ``slipstream engine`` process that can be killed and restarted."""

    args: list[str]
    home: Path
    env_extra: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    def start(self) -> None:
        env = child_env(self.home)
        env.update(self.env_extra)
        self.log = self.home / f"proc-{time.time_ns()}.log"
        self.home.mkdir(parents=True, exist_ok=True)
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                cli_command(*self.args), env=env, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=end_with_parent,
            )  # fmt: skip

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def kill9(self) -> None:
        """SIGKILL the process (not its workers: they must notice by themselves)."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        # whatever it left behind (its process group: workers) goes too
        if self.process is not None:
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log and self.log.exists() else ""

    def wait_output(self, text: str, timeout: float = 60.0) -> None:
        """Wait until the process has printed ``text`` (an engine's ready line, say)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output():
                return
            if self.process is not None and self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"{text!r} never printed:\n{self.output()}")


@dataclass
class Cluster:
    """A database, a blob store and the processes a test runs on them."""

    db_url: str
    root: Path
    env: dict[str, str] = field(default_factory=dict)
    procs: list[Proc] = field(default_factory=list)
    port: int = 0

    @property
    def store(self) -> str:
        return f"file://{self.root / 'data'}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def server(self, *extra: str) -> Proc:
        self.port = self.port or free_port()
        args = ["server", "--port", str(self.port), "--db", self.db_url, "--store", self.store,
                "--no-auth", "--workers", "2", *extra]  # fmt: skip
        p = Proc(args, self.root / "server-home", dict(self.env))
        self.procs.append(p)
        return p

    def engine(self, name: str, workers: int = 2) -> Proc:
        args = ["engine", "--db", self.db_url, "--store", self.store, "--workers", str(workers)]
        p = Proc(args, self.root / f"engine-{name}", dict(self.env))
        self.procs.append(p)
        return p

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise AssertionError("server did not start:\n" + "\n".join(p.output() for p in self.procs))

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=f"{self.url}/api/v1", timeout=30)

    def stop_all(self) -> None:
        for p in self.procs:
            p.stop()


@contextmanager
def cluster(backend: str, tmp_path: Path, **env: str) -> Iterator[Cluster]:
    with fresh_db(backend, tmp_path) as db_url:
        c = Cluster(db_url, tmp_path, env=dict(env))
        try:
            yield c
        finally:
            c.stop_all()


def register_flows(c: Cluster, project: str = "proj", module: str = "durable") -> str:
    """Create ``project`` and register ``flows/<module>.py`` in it; returns the version."""
    from slipstream.remote import Remote

    with Remote(c.url, project=project, domain="development") as r:
        r.create_project(project)
        return r.register(FLOWS / f"{module}.py").version


def launch(
    c: Cluster,
    workflow: str,
    inputs: dict[str, Any],
    project: str = "proj",
    module: str = "durable",
) -> str:
    """Create an execution of ``<module>.<workflow>`` (latest version); returns its name."""
    body = {
        "target": {"resource_type": "workflow", "project": project, "domain": "development",
                   "name": f"{module}.{workflow}"},
        "inputs": inputs,
    }  # fmt: skip
    with c.api() as api:
        r = api.post("/executions", json=body)
        assert r.status_code == 201, r.text
        return str(r.json()["id"]["name"])


def execution(c: Cluster, name: str, project: str = "proj") -> dict[str, Any]:
    with c.api() as api:
        r = api.get(f"/executions/{project}/development/{name}")
        assert r.status_code == 200, r.text
        return dict(r.json())


def wait_phase(
    c: Cluster, name: str, phases: set[str] = TERMINAL, timeout: float = 60.0
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    rec: dict[str, Any] = {}
    while time.monotonic() < deadline:
        try:
            rec = execution(c, name)
        except httpx.HTTPError:
            time.sleep(0.1)
            continue
        if rec.get("phase") in phases:
            return rec
        time.sleep(0.05)
    raise AssertionError(f"execution {name} not in {phases} after {timeout}s: {rec}")


def db_rows(db_url: str, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    """Read the database directly (what a killed server left)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql), params)]
    finally:
        engine.dispose()


def marks(path: Path) -> list[tuple[str, str, int]]:
    """(execution, node, attempt number) of every task run recorded in the marks file."""
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 3:
            out.append((parts[0], parts[1], int(parts[2])))
    return out
