"""Setting the server's workers apart from it, once at start.

Run as root, the server runs its workers as a user of their own: ``--worker-user`` (or
``SLIPSTREAM_WORKER_USER``, or ``worker_user`` in the config file), by default
``slipstream-worker``, made with ``useradd --system`` when it does not exist. The home then belongs
to the server alone (0710: the worker group may pass through it to the store and the unpacked
bundles, never list it), its files are 0600 and its other folders 0700, files the server writes
later are made with umask 027 (group read for the worker group inside the store, which is setgid
to that group; nothing for others), and the store's known levels are walls (see
``slipstream.runners._privileges``). Each worker gets a private directory under the work folder
(``--work-dir``; by default a folder of the system's temporary directory named after the home).

Naming the server's own user keeps the workers as the server (tests do, so that tasks may write
where the test reads). Not root, the server cannot switch users: it says so at start (workers can read all that the
server can), keeps the home 0700 and its files 0600 (umask 077), and still scrubs the workers'
environment and grants each attempt only its project's secrets.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import re
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

from slipstream.errors import ConfigError
from slipstream.runners._privileges import StoreWalls, WorkerIsolation
from slipstream.storage import open_store

from ._config import ServerConfig

__all__ = ["DEFAULT_WORKER_USER", "default_work_dir", "secure_home", "set_workers_apart"]

DEFAULT_WORKER_USER = "slipstream-worker"
_USER = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
_SERVER_ONLY_DIR = 0o700
_PASSAGE = 0o710
_SHARED_TREE = 0o2750


def default_work_dir(home: Path) -> Path:
    """Where workers' private directories go unless configured: outside the home, one folder
    per home in the system's temporary directory."""
    tag = hashlib.sha256(str(home).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"slipstream-work-{tag}"


def set_workers_apart(config: ServerConfig, runner: str | None) -> WorkerIsolation | None:
    """Secure the home and, when this server runs a local pool (``runner`` ``"local"``), say
    how its workers are kept apart. None: no local workers here (``--no-engine``, Ray)."""
    root = os.getuid() == 0 if hasattr(os, "getuid") else False
    name = config.worker_user or DEFAULT_WORKER_USER
    uid = gid = None
    why = "as configured" if root else "not started as root"
    if root and runner == "local":
        uid, gid = _worker_user(name)
        if uid == os.getuid():  # told to run them as the server itself
            uid = gid = None
    if uid is not None and gid is not None:
        unreachable = _unreachable(config.home)
        if unreachable and config.worker_user:
            raise ConfigError(
                f"the worker user {name!r} {unreachable}, or run the workers as the server "
                "itself (--worker-user root; see docs/security.md)"
            )
        problem = unreachable or _cannot_run_as(uid, gid)
        if problem and config.worker_user:  # asked for: keep it, and say what will break
            _say(
                f"the worker user {name!r} {problem}: tasks importing modules the workers did "
                "not load before they switched users will fail; install Python where other "
                "users can read it (see docs/security.md)"
            )
        elif problem:  # the default user on a machine not laid out for it: say so, keep working
            why = f"the worker user {name!r} {problem}"
            uid = gid = None
    secure_home(config, gid)
    if runner == "ray":
        _say(
            "Ray workers run as the user of the Ray cluster, not as a worker user of this "
            "server: give them no access to the server's home"
        )
    if runner != "local":
        return None
    store_root = getattr(open_store(config.store_url), "root_path", None)
    work = config.work_dir or default_work_dir(config.home)
    _make_work_dir(work, config.home)
    isolation = WorkerIsolation(
        work_root=str(work),
        secrets_root=str(config.home / "secrets"),
        uid=uid,
        gid=gid,
        store_root=str(store_root) if store_root is not None else "",
    )
    walls = StoreWalls.of(isolation)
    if walls is not None:
        walls.secure()
    if uid is None:
        import getpass

        _say(
            f"workers run as the server's user ({getpass.getuser()}, {why}): tasks can read "
            f"what it can, including its home {config.home} (the database, the admin token, "
            "every project's secrets, bundles and data). Start the server as root with another "
            "--worker-user (see docs/security.md)"
        )
    return isolation


def secure_home(config: ServerConfig, worker_gid: int | None) -> None:
    """Modes of the home: 0700 (0710 for the worker group when there is one), its files 0600,
    its folders 0700 (the store and the unpacked bundles: see the module doc); the umask of
    what the server writes from now on."""
    home = config.home
    home.mkdir(parents=True, exist_ok=True)
    os.umask(0o077 if worker_gid is None else 0o027)
    store_root = getattr(open_store(config.store_url), "root_path", None)
    _mode(home, _SERVER_ONLY_DIR if worker_gid is None else _PASSAGE, worker_gid)
    for entry in home.iterdir():
        if entry.is_symlink():
            continue
        if entry.is_file():
            os.chmod(entry, 0o600)
        elif entry == store_root and worker_gid is not None:
            continue  # the store's walls are set by StoreWalls
        elif entry.name == "bundles" and worker_gid is not None:
            _mode(entry, _PASSAGE, worker_gid)
        elif entry.name == "envs" and worker_gid is not None:
            _mode(entry, _SHARED_TREE, worker_gid)  # task environments' interpreters
        elif entry.is_dir():
            os.chmod(entry, _SERVER_ONLY_DIR)
    _mode(home / "secrets", _SERVER_ONLY_DIR, None)  # what an admin puts there later stays
    if worker_gid is not None:
        _mode(home / "bundles", _PASSAGE, worker_gid)
        _mode(home / "envs", _SHARED_TREE, worker_gid)
    db = config.db_url
    if db.startswith("sqlite:///"):
        path = Path(db[len("sqlite:///") :])
        fresh = ":memory:" not in db and not path.exists() and path.parent.is_dir()
        if fresh:  # made private first: SQLite gives its journals the database's mode
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        for f in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            if f.is_file():
                os.chmod(f, 0o600)
    if store_root is not None and worker_gid is None:
        Path(store_root).mkdir(parents=True, exist_ok=True)
        os.chmod(store_root, _SERVER_ONLY_DIR)


def _cannot_run_as(uid: int, gid: int) -> str:
    """Why a worker dropped to this user could not run here ("" when it can): it must start
    this interpreter and import the standard library and slipstream. Python installed under a
    private folder (such as root's home) is the usual reason."""
    args = [sys.executable, "-c", "import json, zoneinfo, slipstream.runners"]
    try:
        done = subprocess.run(
            args,
            user=uid,
            group=gid,
            extra_groups=[],
            cwd="/",
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as e:
        return f"cannot start this Python ({sys.executable}): {e}"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["exit code " + str(done.returncode)])[-1]
        return f"cannot run this Python ({last})"
    return ""


def _unreachable(home: Path) -> str:
    """Why workers cannot pass through the folders above the home to reach its store and
    bundles ("" when they can)."""
    for folder in home.resolve().parents:
        if not folder.stat().st_mode & stat.S_IXOTH:
            return (
                f"cannot reach the home {home}: {folder} is closed to other users; let them "
                "pass (chmod o+x) or choose a home elsewhere (--home)"
            )
    return ""


def _mode(path: Path, mode: int, gid: int | None) -> None:
    path.mkdir(parents=True, exist_ok=True)
    if gid is not None:
        os.chown(path, -1, gid)
    os.chmod(path, mode)


def _make_work_dir(path: Path, home: Path) -> None:
    if path.resolve().is_relative_to(home.resolve()):
        raise ConfigError(f"the workers' folder {path} must be outside the server's home {home}")
    path.mkdir(mode=0o711, parents=True, exist_ok=True)
    st = path.lstat()
    if path.is_symlink() or st.st_uid != os.getuid():
        raise ConfigError(
            f"the workers' folder {path} belongs to another user (or is a link): remove it, or "
            "give another with --work-dir"
        )
    os.chmod(path, 0o711)


def _worker_user(name: str) -> tuple[int, int]:
    """The uid and gid of the worker user, made when missing."""
    if not _USER.fullmatch(name):
        raise ConfigError(f"bad worker user name {name!r}")
    try:
        pw = pwd.getpwnam(name)
    except KeyError:
        pw = _create_user(name)
    if pw.pw_uid == os.getuid():
        return pw.pw_uid, pw.pw_gid
    if pw.pw_uid == 0 or pw.pw_gid == 0:
        raise ConfigError(f"the worker user {name!r} must not be root or in root's group")
    return pw.pw_uid, pw.pw_gid


def _create_user(name: str) -> pwd.struct_passwd:

    useradd = shutil.which("useradd")
    if useradd is None:
        raise ConfigError(
            f"the worker user {name!r} does not exist and useradd is missing to make it: "
            "create a system user without a home or shell, or name one with --worker-user"
        )
    shell = "/usr/sbin/nologin" if os.path.exists("/usr/sbin/nologin") else "/bin/false"
    args = [useradd, "--system", "--no-create-home", "--user-group", "--shell", shell, name]
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != 0 and done.returncode != 9:  # 9: made meanwhile by another start
        raise ConfigError(f"could not make the worker user {name!r}: {done.stderr.strip()}")
    _say(f"made the system user {name!r} for the workers")
    return pwd.getpwnam(name)


def _say(line: str) -> None:
    sys.stderr.write(f"slipstream server: {line}\n")
    sys.stderr.flush()
