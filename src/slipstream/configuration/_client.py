"""Where the client finds the server: ``--endpoint``, ``SLIPSTREAM_ENDPOINT``, or the config file.

The config file is ``$SLIPSTREAM_CONFIG`` or ``config.toml`` in the slipstream home; its
``[client]`` table holds ``endpoint``, ``project``, ``domain`` and ``token`` (``slipstream config
init``). The token comes from ``--token``, ``SLIPSTREAM_TOKEN``, the config file, or else the
``admin-token`` file a server writes in its home: a client whose ``SLIPSTREAM_HOME`` is the
server's home needs no set-up.
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slipstream.errors import ConfigError
from slipstream.storage import slipstream_home

__all__ = ["ClientConfig", "config_file_path", "home_token", "write_client_config"]

DEFAULT_DOMAIN = "development"
TOKEN_FILE = "admin-token"


def home_token() -> str | None:
    """The admin token a server keeps in this home, if there is one."""
    path = slipstream_home() / TOKEN_FILE
    try:
        token = path.read_text().strip()
    except OSError:
        return None
    return token or None


def config_file_path() -> Path:
    """``$SLIPSTREAM_CONFIG`` or ``{home}/config.toml``."""
    explicit = os.environ.get("SLIPSTREAM_CONFIG")
    return Path(explicit).expanduser() if explicit else slipstream_home() / "config.toml"


def _read(path: Path | None = None) -> dict[str, Any]:
    path = path or config_file_path()
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: {e}") from None


@dataclass(frozen=True)
class ClientConfig:
    """The server's URL and the default project and domain of commands and ``Remote``."""

    endpoint: str
    project: str | None = None
    domain: str = DEFAULT_DOMAIN
    token: str | None = None

    @classmethod
    def load(
        cls,
        endpoint: str | None = None,
        project: str | None = None,
        domain: str | None = None,
        token: str | None = None,
        *,
        config_file: str | Path | None = None,
        fallback_endpoint: str | None = None,
    ) -> ClientConfig:
        """Arguments first, then ``SLIPSTREAM_ENDPOINT``/``_PROJECT``/``_DOMAIN``/``_TOKEN``,
        then the file (``config_file``, else :func:`config_file_path`), and for the token, last,
        the home's ``admin-token``. ``fallback_endpoint`` is used when nothing names a server."""
        path = None if config_file is None else Path(config_file).expanduser()
        if path is not None and not path.is_file():
            raise ConfigError(f"config file {path} does not exist")
        table = _read(path).get("client", {})
        env = os.environ

        def pick(arg: str | None, var: str, key: str) -> str | None:
            value = arg or env.get(var) or table.get(key)
            return None if value is None else str(value)

        url = pick(endpoint, "SLIPSTREAM_ENDPOINT", "endpoint") or fallback_endpoint
        if not url:
            raise ConfigError(
                "no server endpoint: pass --endpoint, set SLIPSTREAM_ENDPOINT, or run "
                "`slipstream config init --endpoint URL`"
            )
        if not url.startswith(("http://", "https://")):
            url = f"http://{url}"
        return cls(
            endpoint=url.rstrip("/"),
            project=pick(project, "SLIPSTREAM_PROJECT", "project"),
            domain=pick(domain, "SLIPSTREAM_DOMAIN", "domain") or DEFAULT_DOMAIN,
            token=pick(token, "SLIPSTREAM_TOKEN", "token") or home_token(),
        )


def write_client_config(
    endpoint: str,
    project: str | None = None,
    domain: str | None = None,
    token: str | None = None,
) -> Path:
    """Write the ``[client]`` table of the config file, keeping its other tables. A file that
    holds a token is made readable by its owner only."""
    path = config_file_path()
    data = _read()
    client = {"endpoint": endpoint}
    if project:
        client["project"] = project
    if domain:
        client["domain"] = domain
    if token:
        client["token"] = token
    data["client"] = client
    path.parent.mkdir(parents=True, exist_ok=True)
    if token:
        path.touch(mode=0o600, exist_ok=True)
        path.chmod(0o600)
    path.write_text(_dump(data))
    return path


def _dump(data: dict[str, Any]) -> str:
    """A TOML text of tables of scalars and lists (all the config file holds)."""
    lines: list[str] = []
    for name, table in data.items():
        if not isinstance(table, dict):
            lines.insert(0, f"{name} = {json.dumps(table)}")
            continue
        lines.append(f"\n[{name}]")
        lines.extend(f"{key} = {json.dumps(value)}" for key, value in table.items())
    return "\n".join(lines).lstrip("\n") + "\n"
