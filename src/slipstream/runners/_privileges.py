"""Workers that are not the server: their own OS user, a private directory, no server secrets.

A server's pool is given a :class:`WorkerIsolation`. Its workers then start from a fresh
interpreter (multiprocessing's fork server, never a fork of the server, whose memory holds tokens
and whose descriptors hold the database), and before any task code runs each worker:

- closes every descriptor but its pipe and the standard streams;
- drops to the worker user and group, with no supplementary groups (when the server is root);
- works in its own directory ``{work_root}/{worker}`` (0700, owned by the worker user), which
  becomes its ``HOME``, ``TMPDIR`` and ``SLIPSTREAM_HOME``;
- forgets the server's tokens, database URL and secrets from its environment (:data:`SCRUBBED`);
- creates files with umask 007, so the next attempt (another worker) can read what it wrote.

Secrets never come from the worker's own environment or files: the pool reads the ones an
attempt's task asks for from the server's secrets directory, for the attempt's project and domain
(:func:`scoped_secrets`), and hands their values with the request.

On a local (``file://``) store, :class:`StoreWalls` keeps the levels whose names are known to
everyone (the store root, each project and domain, their uploads) traverse-only for the worker
group, and opens each execution's own folder to it: a worker reaches data whose path it is given,
never lists another project's.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slipstream.engine import AttemptRequest
from slipstream.errors import ConfigError, EnvironmentBuildError
from slipstream.model import EnvironmentSpec, ExecutionId, SecretRequest

__all__ = [
    "SCRUBBED",
    "IsolatingContext",
    "StoreWalls",
    "WorkerIsolation",
    "enter_isolation",
    "isolated_request",
    "private_dir",
    "refuse_local_sources",
    "scoped_secrets",
    "scrubbed",
    "secret_folder",
]

SCRUBBED = (
    "SLIPSTREAM_TOKEN",
    "SLIPSTREAM_DB",
    "SLIPSTREAM_CONFIG",
    "SLIPSTREAM_SECRETS_DIR",
    "SLIPSTREAM_SMTP",
    "DATABASE_URL",
    "PGPASSWORD",
    "PGPASSFILE",
)
"""Variables a worker never sees (besides every ``_FSEC_*`` and ``SLIPSTREAM_SECRET_*``)."""

_SECRET_PREFIXES = ("_FSEC_", "SLIPSTREAM_SECRET_")
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
PRELOAD = ("slipstream.runners._worker_loop", "slipstream.runners._preload", "ctypes", "resource")
"""Imported by the fork server, as root: what the entrypoint imports late (log capture, memory
limits) and slipstream's own modules must not depend on the worker user's reading the Python
installation or slipstream's checkout."""
WALL = 0o2710
"""Traverse-only for the worker group (setgid, so what is made inside keeps the group)."""
OPEN = 0o2770
"""An execution's own folder: the worker group reads and writes there."""


@dataclass(frozen=True)
class WorkerIsolation:
    """How a server's workers are kept apart from it.

    ``uid``/``gid`` of the worker user (None: the server cannot switch users and workers keep
    its own), ``work_root`` where each worker's private directory is made, ``secrets_root`` the
    server's secrets directory (read by the pool, never by workers), ``store_root`` the local
    store's folder ("" for object stores).
    """

    work_root: str
    secrets_root: str
    uid: int | None = None
    gid: int | None = None
    store_root: str = ""
    private: str = ""
    """The directory of one worker (set by :func:`private_dir`)."""

    @property
    def switches_user(self) -> bool:
        """Whether workers run as a user of their own."""
        return self.uid is not None


class IsolatingContext:
    """How an isolated pool starts its workers: from multiprocessing's fork server (a fresh
    interpreter started before the pool's first worker, holding none of the server's memory or
    descriptors), each with ``isolation`` to enter before it runs anything."""

    def __init__(self, isolation: WorkerIsolation) -> None:
        import multiprocessing

        self.isolation = isolation
        self._ctx = multiprocessing.get_context("forkserver")
        self._ctx.set_forkserver_preload(list(PRELOAD))

    def Process(self, **kwargs: Any) -> Any:
        return self._ctx.Process(**kwargs)

    def Pipe(self, duplex: bool = True) -> Any:
        return self._ctx.Pipe(duplex=duplex)


def private_dir(iso: WorkerIsolation, worker: str) -> WorkerIsolation:
    """Make a private directory for ``worker`` (owned by the worker user, mode 0700) and return
    ``iso`` naming it; called by the pool, as the server. Its name ends with a random part: the
    workers share one user, and one must not find another's directory (the work folder lets
    them pass, not list, and a worker's ``/proc`` entries are closed to its siblings)."""
    path = Path(iso.work_root) / f"{worker}-{secrets.token_hex(8)}"
    path.mkdir(mode=0o700)
    if iso.uid is not None and iso.gid is not None:
        os.chown(path, iso.uid, iso.gid)
    os.chmod(path, 0o700)
    return dataclasses.replace(iso, private=str(path))


def enter_isolation(iso: WorkerIsolation, worker: str, keep_fd: int) -> None:
    """Become a worker that is not the server; called first in the worker process."""
    _close_descriptors(keep_fd)
    if iso.uid is not None and iso.gid is not None and os.getuid() == 0:
        os.setgroups([])
        os.setgid(iso.gid)
        os.setuid(iso.uid)
    home = iso.private or str(Path(iso.work_root) / worker)
    os.chdir(home)
    for name in list(os.environ):
        if _scrubbed(name):
            del os.environ[name]
    os.environ.update({"HOME": home, "TMPDIR": home, "SLIPSTREAM_HOME": home})
    import tempfile

    tempfile.tempdir = None  # found again from TMPDIR
    os.umask(0o007)


def _scrubbed(name: str) -> bool:
    return name in SCRUBBED or name.startswith(_SECRET_PREFIXES)


def scrubbed(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` without what a worker must not see (:data:`SCRUBBED`, secrets)."""
    return {k: v for k, v in env.items() if not _scrubbed(k)}


def _close_descriptors(keep_fd: int) -> None:
    keep = {0, 1, 2, keep_fd}
    try:
        fds = [int(fd) for fd in os.listdir("/proc/self/fd")]
    except OSError:
        fds = list(range(3, 1024))
    for fd in fds:
        if fd not in keep:
            with contextlib.suppress(OSError):
                os.close(fd)


def scoped_secrets(
    root: str, execution: ExecutionId, requests: Iterable[SecretRequest]
) -> tuple[tuple[str, str, str], ...]:
    """The values of the secrets an attempt asks for, as ``(group, key, value)``: defined for
    its project and domain (``{root}/projects/{project}/{domain}/{group}/{key}``) or globally by
    an admin (``{root}/{group}/{key}``, or the server's ``_FSEC_*`` / ``SLIPSTREAM_SECRET_*``
    variables). A secret defined nowhere is left out (the task then fails naming it); a name
    that is not a plain file name fails the attempt, since it could reach outside the folder."""
    base = Path(root)
    out: list[tuple[str, str, str]] = []
    for r in requests:
        names = (r.group, r.key) if r.key else (r.group,)
        value = _read(secret_folder(root, execution.project, execution.domain, *names))
        if value is None:
            value = _read(base.joinpath(*_plain_names(names)))
        if value is None:
            value = _from_env(r.group, r.key)
        if value is not None:
            out.append((r.group, r.key or "", value))
    return tuple(out)


def secret_folder(root: str, project: str, domain: str, *names: str) -> Path:
    """``{root}/projects/{project}/{domain}/{names...}``: where the secrets of a project and
    domain are kept; a name that is not a plain file name is a :class:`ConfigError`."""
    scope = _safe("project", project), _safe("domain", domain)
    return Path(root, "projects", *scope, *_plain_names(names))


def _plain_names(names: tuple[str, ...]) -> list[str]:
    what = ("secret group", "secret key")
    return [_safe(what[min(i, 1)], n) for i, n in enumerate(names)]


def _safe(what: str, name: str) -> str:
    if not _NAME.fullmatch(name) or name in (".", ".."):
        raise ConfigError(f"bad {what} {name!r}: use letters, digits, '_', '.' and '-'")
    return name


def _read(path: Path) -> str | None:
    try:
        return path.read_text().rstrip("\n")
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None


def _from_env(group: str, key: str | None) -> str | None:
    from slipstream.sdk._secrets import env_names

    for name in env_names(group, key):
        value = os.environ.get(name)
        if value is not None:
            return value
    return None


def isolated_request(
    iso: WorkerIsolation, walls: StoreWalls | None, request: AttemptRequest
) -> AttemptRequest:
    """``request`` as an isolated worker gets it: its execution's folder opened to the worker
    group, the secrets its task asks for granted for its project and domain."""
    if walls is not None:
        walls.open_execution(request.execution)
    if not request.task.secrets:
        return request
    import msgspec

    values = scoped_secrets(iso.secrets_root, request.execution, request.task.secrets)
    return msgspec.structs.replace(request, secret_values=values)


class StoreWalls:
    """The permissions of a local store's folders for a worker group (see the module doc)."""

    def __init__(self, root: str, gid: int) -> None:
        self.root = Path(root)
        self.gid = gid
        self._seen: set[tuple[str, str]] = set()
        self._open: set[ExecutionId] = set()

    @classmethod
    def of(cls, iso: WorkerIsolation | None) -> StoreWalls | None:
        """The walls of ``iso``'s local store (None: no store folder, or no worker group)."""
        if iso is None or not iso.store_root or iso.gid is None:
            return None
        return cls(iso.store_root, iso.gid)

    def secure(self) -> None:
        """At start: the root, every project and domain folder and the uploads are walls; the
        bundles folder is the server's alone."""
        self._wall(self.root)
        bundles = self.root / "bundles"
        bundles.mkdir(exist_ok=True)
        os.chmod(bundles, 0o700)  # code bundles go to workers unpacked, never from here
        for level in (self.root, self.root / "uploads"):
            if not level.is_dir():
                continue
            self._wall(level)
            for project in _dirs(level):
                if project.name == "bundles" and level == self.root:
                    continue
                self._wall(project)
                for domain in _dirs(project):
                    if level == self.root and project.name == "uploads":
                        continue
                    self._wall(domain)

    def open_execution(self, execution: ExecutionId) -> None:
        """Make the folder of ``execution`` reachable by the worker group (once per process;
        a folder that cannot be made fails the attempt when its worker writes there)."""
        if execution in self._open:
            return
        self._open.add(execution)  # tried once: a failure is not retried for every attempt
        with contextlib.suppress(OSError):
            self._open_execution(execution)

    def _open_execution(self, execution: ExecutionId) -> None:
        p, d = execution.project, execution.domain
        if (p, d) not in self._seen:
            for path in (
                self.root / p,
                self.root / p / d,
                self.root / "uploads",
                self.root / "uploads" / p,
                self.root / "uploads" / p / d,
            ):
                path.mkdir(exist_ok=True)
                self._wall(path)
            self._seen.add((p, d))
        folder = self.root / p / d / execution.name
        folder.mkdir(exist_ok=True)
        os.chown(folder, -1, self.gid)
        os.chmod(folder, OPEN)

    def _wall(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        os.chown(path, -1, self.gid)
        os.chmod(path, WALL)


def _dirs(path: Path) -> list[Path]:
    try:
        return [p for p in path.iterdir() if p.is_dir() and not p.is_symlink()]
    except OSError:
        return []


_LOCAL_SOURCE = re.compile(r"^\s*[-./~]|file:|@\s*[./~]|\$\{")


def refuse_local_sources(spec: EnvironmentSpec, task: str) -> None:
    """A server builds task environments as itself: a package line that is an option (``-r``,
    ``--index-url``), a local path or a ``file:`` URL would have it read its own files."""
    for line in (*spec.packages, *spec.requirements):
        if line.strip() and not line.lstrip().startswith("#") and _LOCAL_SOURCE.search(line):
            raise EnvironmentBuildError(
                f"task {task}: the environment's package line {line!r} names an option, a local "
                "path or a file URL, which a server does not build; name packages from an index"
            )
