"""Per-peer virtual environments for the peer benchmarks.

Each peer framework gets its own venv under ``bench/.venvs/<peer>`` so that
none of them leaks into the project's own environment.  ``ensure_env(peer)``
creates the venv if it is missing and pip-installs the peer's packages into
it, returning the path of the venv's python executable.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent.parent
VENVS_DIR = BENCH_DIR / ".venvs"

# peer name -> (packages to pip install, module to import to check the install)
PEERS: dict[str, tuple[list[str], str]] = {
    "flytekit": (["flytekit", "pandas", "pyarrow"], "flytekit"),
    "flyte": (["flyte", "pandas", "pyarrow"], "flyte"),
    "prefect": (["prefect", "pandas", "pyarrow"], "prefect"),
    "dagster": (["dagster", "pandas", "pyarrow"], "dagster"),
}

_MARKER = ".slipstream-bench-installed"


def venv_dir(peer: str) -> Path:
    return VENVS_DIR / peer


def venv_python(peer: str) -> Path:
    d = venv_dir(peer)
    if os.name == "nt":  # pragma: no cover - Linux is the target
        return d / "Scripts" / "python.exe"
    return d / "bin" / "python"


def _check(py: Path, module: str) -> bool:
    r = subprocess.run([str(py), "-c", f"import {module}"], capture_output=True)
    return r.returncode == 0


def ensure_env(peer: str, *, quiet: bool = False) -> Path:
    """Create (if missing) the venv for ``peer`` and install it; return its python.

    Raises ``RuntimeError`` with pip's output tail if the install fails.
    """
    if peer not in PEERS:
        raise KeyError(f"unknown peer {peer!r}; known: {sorted(PEERS)}")
    pkgs, module = PEERS[peer]
    d = venv_dir(peer)
    py = venv_python(peer)
    if (d / _MARKER).exists() and py.exists():
        return py
    if not py.exists():
        VENVS_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", str(d)], check=True)
    cmd = [str(py), "-m", "pip", "install", *pkgs]
    if not quiet:
        print(f"[envs] {peer}: {' '.join(cmd)}", file=sys.stderr, flush=True)
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        raise RuntimeError(
            f"pip install for peer {peer!r} failed (rc={r.returncode}):\n{r.stdout[-4000:]}"
        )
    if not _check(py, module):
        raise RuntimeError(f"peer {peer!r} installed but `import {module}` fails in {py}")
    (d / _MARKER).write_text(" ".join(pkgs) + "\n")
    return py


def peer_version(peer: str) -> str | None:
    """Installed version of the peer's main distribution, or None."""
    py = venv_python(peer)
    if not py.exists():
        return None
    dist = PEERS[peer][0][0]
    r = subprocess.run(
        [str(py), "-c", f"import importlib.metadata as m; print(m.version({dist!r}))"],
        capture_output=True,
        text=True,
    )
    return r.stdout.strip() if r.returncode == 0 else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="create per-peer benchmark venvs")
    ap.add_argument("peers", nargs="*", default=list(PEERS))
    args = ap.parse_args(argv)
    rc = 0
    for p in args.peers:
        try:
            print(f"{p}: {ensure_env(p)} ({peer_version(p)})")
        except Exception as e:
            print(f"{p}: FAILED: {e}", file=sys.stderr)
            rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
