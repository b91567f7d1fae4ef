"""Server configuration: one frozen value built from flags, environment and the config file."""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slipstream.errors import ConfigError
from slipstream.storage import slipstream_home

__all__ = ["DEFAULT_DOMAINS", "ServerConfig", "config_file_path", "is_loopback"]

DEFAULT_DOMAINS = ("development", "staging", "production")


def _home(env: Mapping[str, str]) -> Path:
    explicit = env.get("SLIPSTREAM_HOME")
    return Path(explicit).expanduser().absolute() if explicit else slipstream_home()


def config_file_path(env: Mapping[str, str] | None = None) -> Path:
    """The config file: ``$SLIPSTREAM_CONFIG`` or ``config.toml`` in the home."""
    env = os.environ if env is None else env
    explicit = env.get("SLIPSTREAM_CONFIG")
    return Path(explicit).expanduser() if explicit else _home(env) / "config.toml"


@dataclass(frozen=True)
class ServerConfig:
    """Where the server keeps its metadata and blobs, where it listens, and its domains.

    Precedence, highest first: explicit arguments (CLI flags), ``SLIPSTREAM_*`` environment
    variables, the ``[server]`` table of the config file, defaults.
    """

    home: Path
    db_url: str
    store_url: str
    host: str = "127.0.0.1"
    port: int = 8080
    domains: tuple[str, ...] = DEFAULT_DOMAINS
    auth: bool = True
    """False only with ``--no-auth``, which is refused on a non-loopback address."""
    allowed_hosts: tuple[str, ...] = ()
    """Host names (besides the server's own) that requests may name in Host and Origin; ``*``
    allows any."""
    protected_domains: tuple[str, ...] = ()
    """Domains that only promotion puts entities in; promoting into them needs the admin role."""
    max_json_bytes: int = 64 * 1024 * 1024
    max_bundle_bytes: int = 512 * 1024 * 1024
    max_bundle_unpacked_bytes: int = 1024 * 1024 * 1024
    """The most a code bundle may inflate to (its gzip stream, counted while it uploads)."""
    max_upload_bytes: int = 4 * 1024 * 1024 * 1024
    """The largest blob a client may upload as an execution's input (a file, a DataFrame)."""
    smtp_url: str = ""
    """Where e-mail notifications go: ``smtp://[user:password@]host[:port]`` (``smtps://`` for
    TLS, ``?starttls=1`` to upgrade); empty: e-mail notifications fail, recorded as such."""
    notify_from: str = "slipstream@localhost"
    """The sender of e-mail notifications."""
    worker_user: str = ""
    """The OS user a server started as root runs its workers as (empty: ``slipstream-worker``,
    made when missing)."""
    work_dir: Path | None = None
    """Where each worker's private directory is made, outside the home (None: a folder of the
    system's temporary directory named after the home)."""
    db_timeout_s: float = 5.0
    """How long a request waits for a database connection (PostgreSQL: to connect, or for a
    free one in the pool) before it is answered 503."""
    gc_interval_s: float = 3600.0
    """How often the server applies the retention policies (0: never; ``slipstream gc`` still
    does)."""
    gc_grace_s: float = 300.0
    """How long the blobs of a collected execution wait after its rows went (a run that read
    their URIs just before has recorded them by then)."""
    metrics: bool = True
    """Whether the server counts for ``GET /metrics`` (``SLIPSTREAM_METRICS=0`` or
    ``metrics = false``: it counts nothing and ``/metrics`` answers 404)."""

    @property
    def url(self) -> str:
        """The base URL clients use."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @classmethod
    def load(
        cls,
        *,
        home: str | Path | None = None,
        db_url: str | None = None,
        store_url: str | None = None,
        host: str | None = None,
        port: int | None = None,
        domains: tuple[str, ...] | None = None,
        auth: bool | None = None,
        allowed_hosts: tuple[str, ...] | None = None,
        protected_domains: tuple[str, ...] | None = None,
        worker_user: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> ServerConfig:
        """Build the configuration from arguments, environment and the config file."""
        env = os.environ if env is None else env
        if home is not None:
            env = {**env, "SLIPSTREAM_HOME": str(home)}
        root = _home(env)
        table = _read_table(config_file_path(env), "server")

        def pick(arg: Any, var: str, key: str) -> Any:
            if arg is not None:
                return arg
            if env.get(var):
                return env[var]
            return table.get(key)

        db = pick(db_url, "SLIPSTREAM_DB", "db") or f"sqlite:///{root / 'slipstream.db'}"
        store = pick(store_url, "SLIPSTREAM_STORE", "store") or (root / "data").as_uri()
        raw_domains = pick(domains, "SLIPSTREAM_DOMAINS", "domains") or DEFAULT_DOMAINS
        if isinstance(raw_domains, str):
            raw_domains = [d.strip() for d in raw_domains.split(",") if d.strip()]
        raw_port = pick(port, "SLIPSTREAM_PORT", "port")
        try:
            port_value = 8080 if raw_port is None else int(raw_port)
        except (TypeError, ValueError):
            raise ConfigError(f"port must be an integer, got {raw_port!r}") from None
        if not 0 <= port_value <= 65535:
            raise ConfigError(f"port must be between 0 and 65535, got {port_value}")
        if not raw_domains:
            raise ConfigError("at least one domain must be configured")
        bind = str(pick(host, "SLIPSTREAM_HOST", "host") or "127.0.0.1")
        auth_on = bool(table.get("auth", True)) if auth is None else auth
        if not auth_on and not is_loopback(bind):
            raise ConfigError(
                f"refusing to serve {bind} without authentication: --no-auth is only allowed "
                "on a loopback address (127.0.0.1, ::1, localhost)"
            )
        hosts = _names(pick(allowed_hosts, "SLIPSTREAM_ALLOWED_HOSTS", "allowed_hosts"))
        protected = _names(
            pick(protected_domains, "SLIPSTREAM_PROTECTED_DOMAINS", "protected_domains")
        )
        unknown = [d for d in protected if d not in raw_domains]
        if unknown:
            raise ConfigError(
                f"protected domain {unknown[0]!r} is not one of the domains "
                f"({', '.join(map(str, raw_domains))})"
            )
        limits = {
            key: _size(table.get(key), key, default)
            for key, default in (
                ("max_json_bytes", cls.max_json_bytes),
                ("max_bundle_bytes", cls.max_bundle_bytes),
                ("max_bundle_unpacked_bytes", cls.max_bundle_unpacked_bytes),
                ("max_upload_bytes", cls.max_upload_bytes),
            )
        }
        return cls(
            home=root,
            db_url=str(db),
            store_url=str(store),
            host=bind,
            port=port_value,
            domains=tuple(str(d) for d in raw_domains),
            auth=auth_on,
            allowed_hosts=hosts,
            protected_domains=protected,
            smtp_url=str(pick(None, "SLIPSTREAM_SMTP", "smtp") or ""),
            notify_from=str(pick(None, "SLIPSTREAM_NOTIFY_FROM", "notify_from") or cls.notify_from),
            worker_user=str(pick(worker_user, "SLIPSTREAM_WORKER_USER", "worker_user") or ""),
            work_dir=_work_dir(pick(None, "SLIPSTREAM_WORK_DIR", "work_dir")),
            db_timeout_s=_seconds(
                pick(None, "SLIPSTREAM_DB_TIMEOUT", "db_timeout_s"), cls.db_timeout_s
            ),
            metrics=_flag(pick(None, "SLIPSTREAM_METRICS", "metrics"), "metrics", cls.metrics),
            gc_interval_s=_duration(
                pick(None, "SLIPSTREAM_GC_INTERVAL", "gc_interval_s"), "gc_interval_s", 3600.0
            ),
            gc_grace_s=_duration(
                pick(None, "SLIPSTREAM_GC_GRACE", "gc_grace_s"), "gc_grace_s", 300.0
            ),
            **limits,
        )


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (``localhost``, 127.0.0.0/8, ``::1``)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _flag(raw: Any, key: str, default: bool) -> bool:
    if raw is None:
        return default
    if isinstance(raw, bool):
        return raw
    word = str(raw).strip().lower()
    if word in ("1", "true", "yes", "on"):
        return True
    if word in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{key} must be true or false, got {raw!r}")


def _duration(raw: Any, key: str, default: float) -> float:
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{key} must be a number of seconds, got {raw!r}") from None
    if not 0 <= value < float("inf"):
        raise ConfigError(f"{key} must be 0 or more seconds, got {raw!r}")
    return value


def _seconds(raw: Any, default: float) -> float:
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"db_timeout_s must be a number of seconds, got {raw!r}") from None
    if not 0 < value <= 3600:
        raise ConfigError(f"db_timeout_s must be between 0 and 3600 seconds, got {raw!r}")
    return value


def _work_dir(raw: Any) -> Path | None:
    if not raw:
        return None
    return Path(str(raw)).expanduser().absolute()


def _names(raw: Any) -> tuple[str, ...]:
    if not raw:
        return ()
    if isinstance(raw, str):
        raw = raw.split(",")
    return tuple(str(n).strip() for n in raw if str(n).strip())


def _size(raw: Any, key: str, default: int) -> int:
    if raw is None:
        return default
    if not isinstance(raw, int) or isinstance(raw, bool) or raw <= 0:
        raise ConfigError(f"{key} must be a positive number of bytes, got {raw!r}")
    return raw


def _read_table(path: Path, name: str) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: {e}") from None
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [{name}] must be a table")
    return table
