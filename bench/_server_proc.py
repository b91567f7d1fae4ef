"""Start and stop a ``slipstream server`` child process for the control-plane benchmarks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def cli(*args: str) -> list[str]:
    """argv running the slipstream CLI in a child interpreter."""
    return [sys.executable, "-c", "from slipstream.cli import main; main()", *args]


def env(home: Path, **extra: str) -> dict[str, str]:
    """The child environment: our sources importable, its own home."""
    e = dict(os.environ)
    e["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), e.get("PYTHONPATH", "")) if p)
    e["SLIPSTREAM_HOME"] = str(home)
    e.update(extra)
    return e


def start(home: Path, db_url: str, *extra: str) -> tuple[subprocess.Popen[str], str]:
    """Start a server on a free port; returns the process and its URL."""
    proc = subprocess.Popen(
        cli("server", "--port", "0", "--home", str(home), "--db", db_url, *extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env(home),
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 120
    for line in proc.stdout:
        if "listening on " in line:
            # the admin token the server made in its home: Remote and headers() use it
            token = home / "admin-token"
            if token.is_file():
                os.environ["SLIPSTREAM_TOKEN"] = token.read_text().strip()
            return proc, line.split("listening on ", 1)[1].strip()
        if time.monotonic() > deadline:
            break
    proc.kill()
    raise RuntimeError("the server did not start")


def headers() -> dict[str, str]:
    """The ``Authorization`` header of the last server started."""
    return {"Authorization": f"Bearer {os.environ['SLIPSTREAM_TOKEN']}"}


def stop(proc: subprocess.Popen[str]) -> None:
    """SIGTERM and wait."""
    proc.send_signal(signal.SIGTERM)
    proc.wait(30)
    if proc.stdout is not None:
        proc.stdout.close()
