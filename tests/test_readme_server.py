"""The README's server walkthrough, command by command, on a real server in a fresh home."""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

pytestmark = pytest.mark.timeout(300)


def _walkthrough() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", README.read_text(), re.S)
    block = next(b for b in blocks if "slipstream run --remote" in b)
    return [line.split("  #", 1)[0].strip() for line in block.splitlines() if line.strip()]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_readme_server_walkthrough_runs(tmp_path: Path) -> None:
    commands = _walkthrough()
    assert commands[0].startswith("slipstream server") and commands[0].endswith("&")
    port = str(_port())
    env = dict(os.environ)
    env["SLIPSTREAM_HOME"] = str(tmp_path / "home")
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    for var in ("SLIPSTREAM_ENDPOINT", "SLIPSTREAM_TOKEN", "SLIPSTREAM_PROJECT"):
        env.pop(var, None)
    server_args = shlex.split(commands[0].rstrip("&").replace("8080", port))
    log = open(tmp_path / "server.log", "wb")  # noqa: SIM115 - closed below
    server = subprocess.Popen(server_args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        outputs = []
        for command in commands[1:]:
            done = subprocess.run(
                shlex.split(command.replace("8080", port)),
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
            outputs.append(done.stdout)
        run_out = outputs[[c.startswith("slipstream run") for c in commands[1:]].index(True)]
        assert "HELLO WORLD!" in run_out
        describe = outputs[
            [
                c.startswith(("slipstream execution describe", "slipstream get execution "))
                for c in commands[1:]
            ].index(True)
        ]
        assert "SUCCEEDED" in describe
    finally:
        server.terminate()
        server.wait(30)
        log.close()
