"""A server whose executions stay QUEUED: the API without an engine host, for tests of what
happens before an execution runs (creation, validation, abort of a queued execution, signals).

When ``slipstream server`` has ``--no-engine`` it is started with it; before the engine host
exists, the plain server runs nothing anyway.
"""

from __future__ import annotations

import atexit
import subprocess
import tempfile
import threading
from pathlib import Path

from live_server import LiveServer, child_env, cli_command, pg_database, start_server

_servers: dict[str, LiveServer] = {}
_lock = threading.Lock()


def _has_no_engine_flag(home: Path) -> bool:
    done = subprocess.run(
        cli_command("server", "--help"),
        capture_output=True,
        text=True,
        env=child_env(home),
        timeout=60,
    )
    return "--no-engine" in done.stdout


def auth_headers(server: LiveServer) -> dict[str, str]:
    """The admin's bearer token of a server that requires one (it writes it in its home)."""
    token = server.home / "admin-token"
    return {"authorization": f"Bearer {token.read_text().strip()}"} if token.exists() else {}


def queued_server(backend: str) -> LiveServer:
    """The shared engine-less server of ``backend`` for this test process."""
    with _lock:
        server = _servers.get(backend)
        if server is not None and server.process.poll() is None:
            return server
        home = Path(tempfile.mkdtemp(prefix=f"slipstream-queued-{backend}-"))
        db_url = f"sqlite:///{home / 'slipstream.db'}" if backend == "sqlite" else pg_database()
        extra = ("--no-engine",) if _has_no_engine_flag(home) else ()
        server = start_server(backend, db_url, home, *extra)
        atexit.register(server.stop)
        _servers[backend] = server
        return server
