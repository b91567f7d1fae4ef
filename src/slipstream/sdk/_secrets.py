"""Secrets a task asks for, read where flytekit programs expect them.

A task declares ``secret_requests=[Secret(group, key, mount_requirement=...)]`` and reads
``current_context().secrets.get(group, key)``. A value is found, in order, in the environment
variable the request names (``env_var``), in flytekit's ``_FSEC_<GROUP>_<KEY>``, in
``SLIPSTREAM_SECRET_<GROUP>_<KEY>``, and in the file ``<secrets dir>/<group>/<key>`` where the
secrets dir is ``$SLIPSTREAM_SECRETS_DIR`` or ``$SLIPSTREAM_HOME/secrets``.

Every requested secret is resolved before the task body runs, so a missing one fails the attempt
naming the secret and where it was looked for; an ``ENV_VAR`` mount is exported for the duration of
the attempt (and restored after), a ``FILE`` mount is a file readable by the owner only. Values
never appear in an error message: a task exception whose message contains a requested value has
it replaced by ``***``.

In a server's worker, secrets come from the server instead (:func:`granted_secrets`): only the
values the server granted the attempt, for its project and domain, are found; the worker's own
environment and files are not looked at.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import msgspec

from slipstream.errors import ConfigError
from slipstream.model import SecretRequest

__all__ = [
    "ENV_PREFIX",
    "Secret",
    "SecretsManager",
    "granted_secrets",
    "mounted_secrets",
    "redact",
]

ENV_PREFIX = "_FSEC_"
"""flytekit's prefix of secret environment variables: ``_FSEC_<GROUP>_<KEY>``."""

REDACTED = "***"

_granted: dict[tuple[str, str], str] | None = None
"""The secrets the server granted the running attempt (None outside a server's worker)."""
_granted_to = ""
_wrote_files = False


class MountType(enum.Enum):
    """How a task wants a secret made available (flytekit's ``Secret.MountType``)."""

    ANY = 0
    ENV_VAR = 1
    FILE = 2


class Secret(msgspec.Struct, frozen=True):
    """A secret the task needs, by ``group`` and ``key``: ``Secret(group="db", key="password",
    mount_requirement=Secret.MountType.ENV_VAR)``; ``env_var`` names the variable to export."""

    group: str
    key: str | None = None
    group_version: str | None = None
    mount_requirement: MountType = MountType.ANY
    env_var: str | None = None

    MountType: ClassVar[type[MountType]] = MountType

    def __post_init__(self) -> None:
        if not isinstance(self.group, str) or not self.group:
            raise ValueError(f"Secret needs a non-empty group, got {self.group!r}")

    def to_spec(self) -> SecretRequest:
        """The wire form (names only: a request never carries a value)."""
        return SecretRequest(group=self.group, key=self.key, env_var=self.env_var)


def _norm(s: str) -> str:
    return s.upper().replace("-", "_").replace(".", "_").replace("/", "_")


def env_names(group: str, key: str | None, env_var: str | None = None) -> list[str]:
    """The environment variables a secret is looked up in, in order."""
    suffix = f"{_norm(group)}_{_norm(key)}" if key else _norm(group)
    names = [f"{ENV_PREFIX}{suffix}", f"SLIPSTREAM_SECRET_{suffix}"]
    return [env_var, *names] if env_var else names


def secrets_dir() -> Path:
    """Where secret files live: ``$SLIPSTREAM_SECRETS_DIR`` or ``$SLIPSTREAM_HOME/secrets``."""
    base = os.environ.get("SLIPSTREAM_SECRETS_DIR")
    if base:
        return Path(base)
    from slipstream.storage import slipstream_home

    return slipstream_home() / "secrets"


def _file_candidates(group: str, key: str | None) -> list[Path]:
    d = secrets_dir()
    parts = [group, key] if key else [group]
    out = [d.joinpath(*parts)]
    lower = d.joinpath(*(p.lower() for p in parts))
    return out if lower == out[0] else [*out, lower]


class _Group:
    """``secrets.<group>.<key>``: attribute access to one group's secrets."""

    def __init__(self, manager: SecretsManager, group: str) -> None:
        self._manager = manager
        self._group = group

    def __getattr__(self, key: str) -> str:
        if key.startswith("__"):
            raise AttributeError(key)
        return str(self._manager.get(self._group, key))

    def __repr__(self) -> str:
        return f"<secrets group {self._group!r}>"


class SecretsManager:
    """``current_context().secrets``: ``get(group, key)``, ``get_secrets_file(group, key)``,
    ``get_secrets_env_var(group, key)`` and ``secrets.<group>.<key>``."""

    def __init__(self) -> None:
        self._files: dict[tuple[str, str | None], Path] = {}
        self._workdir: Path | None = None

    def _find(self, group: str, key: str | None, env_var: str | None = None) -> str | None:
        if _granted is not None:
            return _granted.get((group, key or ""))
        for n in env_names(group, key, env_var):
            v = os.environ.get(n)
            if v is not None:
                return v
        for p in _file_candidates(group, key):
            if p.is_file():
                return p.read_text().rstrip("\n")
        return None

    def _missing(self, group: str, key: str | None, env_var: str | None = None) -> ConfigError:
        name = f"{group}/{key}" if key else group
        if _granted is not None:
            return ConfigError(
                f"secret {name!r} is not defined for {_granted_to} on this server "
                "(nor globally), or the task does not request it"
            )
        files = " or ".join(str(p) for p in _file_candidates(group, key))
        return ConfigError(
            f"secret {name!r} not found: set one of the environment variables "
            f"{', '.join(env_names(group, key, env_var))} or write the file {files}"
        )

    def get(
        self,
        group: str,
        key: str | None = None,
        group_version: str | None = None,
        encode_mode: str = "r",
    ) -> Any:
        """The secret's value (``bytes`` with ``encode_mode="rb"``); a ``ValueError`` naming the
        secret and where it was looked for when it is missing."""
        value = self._find(group, key)
        if value is None:
            raise self._missing(group, key)
        return value.encode() if "b" in encode_mode else value

    def get_secrets_env_var(self, group: str, key: str | None = None) -> str:
        """flytekit's environment variable name of a secret (``_FSEC_<GROUP>_<KEY>``)."""
        return env_names(group, key)[0]

    def get_secrets_file(self, group: str, key: str | None = None) -> str:
        """The path of a file holding the secret: its file in the secrets dir when there is one,
        else a private file written with the value found in the environment. As with flytekit,
        the path depends only on the group and key, so a test can compute the path a task sees."""
        for p in _file_candidates(group, key) if _granted is None else ():
            if p.is_file():
                return str(p)
        value = self._find(group, key)
        if value is None:
            raise self._missing(group, key)
        import tempfile

        uid = os.getuid() if hasattr(os, "getuid") else 0
        folder = Path(tempfile.gettempdir()) / f"slipstream-secrets-{uid}" / _norm(group)
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(folder.parent, 0o700)
        path = folder / _norm(key or group)
        if not path.is_file() or path.read_text() != value:
            tmp = folder / f".{path.name}.{os.getpid()}.tmp"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(value)
            os.replace(tmp, path)
        self._files[(group, key)] = path
        global _wrote_files
        _wrote_files = True
        return str(path)

    def __getattr__(self, group: str) -> _Group:
        if group.startswith("_"):
            raise AttributeError(group)
        return _Group(self, group)

    def __repr__(self) -> str:
        return "<SecretsManager>"


@contextmanager
def mounted_secrets(
    manager: SecretsManager, requests: Iterable[Secret], workdir: str | None
) -> Iterator[list[str]]:
    """Resolve every requested secret before the body runs (a missing one raises), export the
    ``ENV_VAR`` ones and write the ``FILE`` ones; yields the values (for redaction)."""
    if workdir is not None:
        manager._workdir = Path(workdir)
    values: list[str] = []
    exported: dict[str, str | None] = {}
    try:
        for s in requests:
            value = manager._find(s.group, s.key, s.env_var)
            if value is None:
                raise manager._missing(s.group, s.key, s.env_var)
            values.append(value)
            if s.mount_requirement is MountType.ENV_VAR or s.env_var:
                for n in [s.env_var] if s.env_var else env_names(s.group, s.key)[:1]:
                    if os.environ.get(n) != value:
                        exported.setdefault(n, os.environ.get(n))
                        os.environ[n] = value
            if s.mount_requirement is MountType.FILE:
                manager.get_secrets_file(s.group, s.key)
        yield values
    finally:
        for n, old in exported.items():
            if old is None:
                os.environ.pop(n, None)
            else:
                os.environ[n] = old


@contextmanager
def granted_secrets(values: Iterable[tuple[str, str, str]], where: str) -> Iterator[None]:
    """While an attempt runs in a server's worker: only ``values`` (``(group, key, value)``,
    granted to ``where``, its project and domain) are secrets; the files a ``FILE`` mount wrote
    are removed after."""
    global _granted, _granted_to, _wrote_files
    _granted = {(g, k): v for g, k, v in values}
    _granted_to = where
    try:
        yield
    finally:
        _granted = None
        _granted_to = ""
        if _wrote_files:
            _wrote_files = False
            import shutil
            import tempfile

            uid = os.getuid() if hasattr(os, "getuid") else 0
            folder = Path(tempfile.gettempdir()) / f"slipstream-secrets-{uid}"
            shutil.rmtree(folder, ignore_errors=True)


def redact(exc: BaseException, values: list[str]) -> None:
    """Replace secret values in an exception's string arguments and notes."""
    secrets = [v for v in values if len(v) >= 3]
    if not secrets:
        return

    def clean(s: str) -> str:
        for v in secrets:
            s = s.replace(v, REDACTED)
        return s

    exc.args = tuple(clean(a) if isinstance(a, str) else a for a in exc.args)
    notes = getattr(exc, "__notes__", None)
    if notes:
        exc.__notes__ = [clean(n) for n in notes]
