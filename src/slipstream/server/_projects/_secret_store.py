"""Secrets defined for a project and domain, kept as files only the server reads.

``{home}/secrets/projects/{project}/{domain}/{group}/{key}`` (0600, folders 0700): where a
server's pool looks first for a secret an attempt of that project and domain asks for (then the
global ``{home}/secrets/{group}/{key}``; see ``slipstream.runners._privileges``). Values are
written here and never read back through the API: it lists names only.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from slipstream.errors import ConfigError, NotFoundError, ValidationError
from slipstream.runners._privileges import secret_folder

__all__ = ["MAX_SECRET_BYTES", "SecretStore"]

MAX_SECRET_BYTES = 64 * 1024


class SecretStore:
    """The project/domain secrets of one server home."""

    def __init__(self, home: Path) -> None:
        self.root = home / "secrets"

    def put(self, project: str, domain: str, group: str, key: str, value: str) -> None:
        """Define (or replace) ``group/key`` for ``project``/``domain``."""
        if len(value.encode()) > MAX_SECRET_BYTES:
            raise ValidationError(f"a secret's value is at most {MAX_SECRET_BYTES} bytes")
        path = self._path(project, domain, group, key)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # below secrets/ (0700)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(value)
        os.replace(tmp, path)

    def delete(self, project: str, domain: str, group: str, key: str) -> None:
        """Remove ``group/key`` of ``project``/``domain`` (NotFoundError when undefined)."""
        path = self._path(project, domain, group, key)
        try:
            path.unlink()
        except FileNotFoundError:
            raise NotFoundError(
                f"secret {group}/{key} is not defined for {project}/{domain}"
            ) from None

    def names(self, project: str, domain: str) -> list[tuple[str, str]]:
        """``(group, key)`` of every secret defined for ``project``/``domain``, sorted."""
        folder = self._path(project, domain, "g", "k").parent.parent
        out: list[tuple[str, str]] = []
        for group in sorted(folder.iterdir()) if folder.is_dir() else []:
            if group.is_dir():
                out.extend((group.name, k.name) for k in sorted(group.iterdir()) if k.is_file()
                           and not k.name.startswith("."))  # fmt: skip
        return out

    def _path(self, project: str, domain: str, group: str, key: str) -> Path:
        try:
            return secret_folder(str(self.root), project, domain, group, key)
        except ConfigError as e:
            raise ValidationError(str(e)) from None
