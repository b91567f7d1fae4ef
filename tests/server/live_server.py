"""Real server processes on loopback for the tests: one per backend per test process.

``live("sqlite")`` and ``live("postgresql")`` start ``slipstream server`` (the CLI, in a child
process) on a fresh home and database the first time they are asked for, and stop it at exit.
PostgreSQL gets a throwaway database on the server at 127.0.0.1:5432.
"""

from __future__ import annotations

import atexit
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgresql")


@dataclass
class LiveServer:
    """A running server: its URL, database URL, home, and the child process."""

    backend: str
    url: str
    db_url: str
    home: Path
    process: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)
    reader: threading.Thread | None = None

    @property
    def token(self) -> str:
        """The admin token the server made on first start (in its home, as a client finds it)."""
        return (self.home / "admin-token").read_text().strip()

    @property
    def headers(self) -> dict[str, str]:
        """The admin's ``Authorization`` header."""
        return {"Authorization": f"Bearer {self.token}"}

    def stop(self) -> int:
        """SIGTERM, then wait; returns the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.reader is not None:
            self.reader.join(5)
        if self.process.stdout is not None:
            self.process.stdout.close()
        return self.process.returncode


def end_with_parent() -> None:
    """In a child, before exec: the child gets SIGTERM when the test process that started it ends
    in any way (pytest-xdist workers do not always run ``atexit``), so no server outlives a run."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def cli_command(*args: str) -> list[str]:
    """The argv that runs the slipstream CLI in a child interpreter."""
    return [sys.executable, "-c", "from slipstream.cli import main; main()", *args]


def child_env(home: Path) -> dict[str, str]:
    """Environment of a child process: our sources importable, its own home."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH", "")) if p)
    env["SLIPSTREAM_HOME"] = str(home)
    for var in (
        "SLIPSTREAM_ENDPOINT",
        "SLIPSTREAM_DB",
        "SLIPSTREAM_CONFIG",
        "SLIPSTREAM_PORT",
        "SLIPSTREAM_TOKEN",
    ):
        env.pop(var, None)
    return env


def start_server(backend: str, db_url: str, home: Path, *extra: str) -> LiveServer:
    """Start ``slipstream server`` on a free port and wait until it says where it listens."""
    proc = subprocess.Popen(
        cli_command("server", "--port", "0", "--home", str(home), "--db", db_url, *extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=child_env(home),
        preexec_fn=end_with_parent,
    )
    lines: queue.Queue[str | None] = queue.Queue()
    output: list[str] = []

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            output.append(line)
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            continue
        if line is None:
            break
        if "listening on " in line:
            url = line.split("listening on ", 1)[1].strip()
            return LiveServer(backend, url, db_url, home, proc, output, reader)
    proc.kill()
    proc.wait()
    reader.join(5)
    if proc.stdout is not None:
        proc.stdout.close()
    raise RuntimeError("server did not start:\n" + "".join(output))


def pg_database() -> str:
    """A new, empty PostgreSQL database; dropped at exit. Skips when PostgreSQL is down."""
    psycopg = pytest.importorskip("psycopg")
    name = f"slipstream_test_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as e:
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 is not available: {e}")

    def drop() -> None:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    atexit.register(drop)
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


_servers: dict[str, LiveServer] = {}
_lock = threading.Lock()


def live(backend: str) -> LiveServer:
    """The shared server of ``backend`` for this test process (started on first use)."""
    with _lock:
        server = _servers.get(backend)
        if server is not None and server.process.poll() is None:
            return server
        home = Path(tempfile.mkdtemp(prefix=f"slipstream-{backend}-"))
        sqlite = f"sqlite:///{home / 'slipstream.db'}"
        db_url = sqlite if backend == "sqlite" else pg_database()
        server = start_server(backend, db_url, home)
        atexit.register(server.stop)
        _servers[backend] = server
        return server


def user_with_role(admin: Any, role: str, project: str, domain: str = "") -> tuple[str, str]:
    """A new user holding ``role`` on ``project`` (``domain=""``: all its domains), made through
    ``admin`` (an ``httpx.Client`` of an admin on ``/api/v1``): their name and a token of theirs."""
    name = unique(role)
    assert admin.post("/users", json={"name": name}).status_code == 201
    grant = {"role": role, "project": project, "domain": domain}
    assert admin.post(f"/users/{name}/grants", json=grant).status_code == 200
    made = admin.post("/tokens", json={"user": name, "description": "test"})
    assert made.status_code == 201, made.text
    return name, str(made.json()["token"])


def unique(prefix: str) -> str:
    """A project or package name no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def cli(*args: str, code: int = 0) -> Any:
    """Run the ``slipstream`` command in this process; assert its exit code; its click result."""
    from click.testing import CliRunner

    from slipstream.cli import main

    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


def cli_project(
    server: LiveServer,
    monkeypatch: pytest.MonkeyPatch,
    prefix: str,
    root: Path,
    modules: dict[str, str],
) -> tuple[str, Path]:
    """A fresh project on ``server`` with the client pointed at it as its admin, and a package
    under ``root`` holding ``modules`` (file name -> source): the project and the package."""
    token = server.home / "admin-token"
    if token.exists():
        monkeypatch.setenv("SLIPSTREAM_TOKEN", token.read_text().strip())
    monkeypatch.setenv("SLIPSTREAM_ENDPOINT", server.url)
    project = unique(prefix)
    monkeypatch.setenv("SLIPSTREAM_PROJECT", project)
    cli("project", "create", project)
    package = root / f"pkg_{project.replace('-', '_')}"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name, source in modules.items():
        (package / name).write_text(source)
    return project, package
