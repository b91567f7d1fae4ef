"""Building task environments on this host with uv, once, under ``$SLIPSTREAM_HOME/envs/<key>``.

An environment is a virtual environment holding the spec's packages and slipstream's own
dependencies; slipstream itself is made importable from the running installation (a link, not a
copy), so the environment's workers run the same slipstream as the engine. It is built in a
temporary folder and renamed into place when complete, under a file lock, so two processes that
need the same environment build it once, and a killed build leaves nothing half-made behind.
Reuse costs a ``stat``: the marker file ``slipstream-env.json`` is written last.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import msgspec

from slipstream._processes import pid_alive
from slipstream.errors import EnvironmentBuildError
from slipstream.model import EnvironmentSpec
from slipstream.storage import slipstream_home

from ._spec import _python_here, core_requirements, env_key, refuse_image_only

__all__ = ["BuiltEnv", "build_env", "env_dir", "envs_root", "list_envs", "prune_envs"]

MARKER = "slipstream-env.json"
_PKG_DIR = Path(__file__).resolve().parent.parent.parent


@dataclass(frozen=True)
class BuiltEnv:
    """An environment on this host: its key, folder and interpreter; ``built`` is whether this
    call built it (False: it was there), ``seconds`` what the call took."""

    key: str
    path: Path
    python: Path
    built: bool
    seconds: float
    spec: EnvironmentSpec | None = None
    packages: tuple[str, ...] = ()
    created_at: float = 0.0
    last_used: float = 0.0
    size: int = 0


def envs_root() -> Path:
    """Where environments live: ``$SLIPSTREAM_HOME/envs``."""
    return slipstream_home() / "envs"


def env_dir(spec: EnvironmentSpec) -> Path:
    """The folder of ``spec``'s environment (built or not)."""
    return envs_root() / env_key(spec)


def _python_of(path: Path) -> Path:
    return path / "bin" / "python"


def build_env(spec: EnvironmentSpec, progress: Callable[[str], None] | None = None) -> BuiltEnv:
    """``spec``'s environment, built now if this host has not built it yet.

    ``progress`` gets a line for each step of a build (uv's own output included); nothing is said
    when the environment is reused. A resolver failure raises :class:`EnvironmentBuildError`
    with uv's own message.
    """
    started = time.perf_counter()
    path = env_dir(spec)
    marker = path / MARKER
    if marker.exists():
        with contextlib.suppress(OSError):
            os.utime(marker)  # last used, for prune
        return BuiltEnv(env_key(spec), path, _python_of(path), False, time.perf_counter() - started)
    refuse_image_only(spec, "the local pool")
    root = envs_root()
    root.mkdir(parents=True, exist_ok=True)
    with _locked(root / f".{path.name}.lock"):
        if marker.exists():  # another process built it while this one waited
            return BuiltEnv(
                env_key(spec), path, _python_of(path), False, time.perf_counter() - started
            )
        say = progress or (lambda line: None)
        _build(spec, path, say)
    seconds = time.perf_counter() - started
    say(f"environment {path.name} built in {seconds:.1f} s")
    return BuiltEnv(env_key(spec), path, _python_of(path), True, seconds)


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    with open(lock_path, "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


_uv_lock = threading.Lock()
_uv_path: list[str] = []


def _uv() -> str:
    # sysconfig (which find_uv_bin reads) is not safe to initialise from two threads at once
    with _uv_lock:
        if not _uv_path:
            _uv_path.append(_find_uv())
        return _uv_path[0]


def _find_uv() -> str:
    try:
        from uv import find_uv_bin

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        pass
    found = shutil.which("uv")
    if found is None:
        raise EnvironmentBuildError(
            "building a task environment needs uv: pip install uv (or 'slipstream[envs]')"
        )
    return found


def _build(spec: EnvironmentSpec, path: Path, say: Callable[[str], None]) -> None:
    tmp = path.parent / f".{path.name}.{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    uv = _uv()
    what = ", ".join([*spec.packages, *spec.requirements]) or "no packages"
    say(f"building environment {path.name} ({what}) with uv")
    python = spec.python_version or sys.executable
    if spec.python_version == _python_here():
        python = sys.executable
    try:
        _uv_run([uv, "venv", "--relocatable", "--python", python, str(tmp)], say)
        reqs = tmp / "requirements.in"
        reqs.write_text("\n".join([*core_requirements(), *spec.packages, *spec.requirements]))
        _uv_run([uv, "pip", "install", "--python", str(_python_of(tmp)), "-r", str(reqs)], say)
        _link_slipstream(tmp)
        frozen = subprocess.run(
            [uv, "pip", "freeze", "--python", str(_python_of(tmp))],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.split()
        meta = {
            "key": path.name,
            "spec": msgspec.to_builtins(spec),
            "packages": frozen,
            "created_at": time.time(),
        }
        (tmp / MARKER).write_text(json.dumps(meta, indent=1))
        if path.exists():  # a half-made folder from another tool: replace it
            shutil.rmtree(path)
        os.rename(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _uv_run(cmd: list[str], say: Callable[[str], None]) -> None:
    from .._privileges import scrubbed

    env = scrubbed(os.environ)  # what a package's build code runs with: no tokens, no secrets
    env.pop("VIRTUAL_ENV", None)
    lines: list[str] = []
    with subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.rstrip()
            if line:
                lines.append(line)
                say(f"  {line}")
    if proc.wait() != 0:
        tail = "\n".join(lines[-30:])
        raise EnvironmentBuildError(f"uv could not build the environment:\n{tail}")


def _link_slipstream(env: Path) -> None:
    """Make the running slipstream importable in ``env`` (a link to its package, so that the
    environment's Python finds exactly this version, and nothing else of this installation)."""
    found = sorted(env.glob("lib/python*/site-packages"))
    if not found:
        raise EnvironmentBuildError(f"no site-packages in the new environment {env}")
    src = env / "slipstream-src"
    src.mkdir(exist_ok=True)
    (src / "slipstream").symlink_to(_PKG_DIR, target_is_directory=True)
    # relative to the site-packages folder, so the environment can be renamed into place
    rel = os.path.relpath(src, found[0])
    (found[0] / "_slipstream_src.pth").write_text(rel + "\n")


def list_envs() -> list[BuiltEnv]:
    """Every environment built on this host, newest first."""
    root = envs_root()
    out: list[BuiltEnv] = []
    if not root.is_dir():
        return out
    for path in root.iterdir():
        marker = path / MARKER
        if path.name.startswith(".") or not marker.is_file():
            continue
        try:
            meta = json.loads(marker.read_text())
            spec = msgspec.convert(meta.get("spec") or {}, EnvironmentSpec)
        except (OSError, ValueError, msgspec.ValidationError):
            continue
        out.append(
            BuiltEnv(
                key=path.name,
                path=path,
                python=_python_of(path),
                built=False,
                seconds=0.0,
                spec=spec,
                packages=tuple(meta.get("packages") or ()),
                created_at=float(meta.get("created_at") or 0.0),
                last_used=marker.stat().st_mtime,
                size=_size(path),
            )
        )
    out.sort(key=lambda e: e.created_at, reverse=True)
    return out


def _size(path: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for f in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(dirpath, f)).st_size
    return total


def prune_envs(older_than_s: float | None = None, keys: tuple[str, ...] = ()) -> list[str]:
    """Remove environments: those named by ``keys`` (or a prefix of one), else those unused for
    ``older_than_s`` seconds (None: every one). Returns the removed keys. Left-overs of killed
    builds are removed too."""
    root = envs_root()
    removed: list[str] = []
    if not root.is_dir():
        return removed
    now = time.time()
    for env in list_envs():
        if keys and not any(env.key.startswith(k) for k in keys):
            continue
        if not keys and older_than_s is not None and now - env.last_used < older_than_s:
            continue
        with _locked(root / f".{env.key}.lock"):
            shutil.rmtree(env.path, ignore_errors=True)
        with contextlib.suppress(OSError):
            (root / f".{env.key}.lock").unlink()
        removed.append(env.key)
    for tmp in root.glob(".*.tmp"):
        pid = tmp.name.rsplit(".", 2)[-2]
        if pid.isdigit() and not pid_alive(int(pid)):
            shutil.rmtree(tmp, ignore_errors=True)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
