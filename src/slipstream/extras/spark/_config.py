"""The ``Spark`` task config and the worker's SparkSession built from it.

The session is built in the worker before the attempt reads its inputs (a Spark DataFrame input
is read through it) and stopped when the attempt ends, once its outputs were written (Spark
DataFrames are lazy: an output is computed as it is written). Attempts running at once in one
process with the same settings share it; the last one out stops it. The JVM itself stays for the
process's next Spark attempt. The master is the config's ``spark.master``, else the
``SLIPSTREAM_SPARK_MASTER`` environment variable, else ``local[*]``. A standalone master that does
not answer fails the attempt within seconds, naming Spark and the master's URL, instead of
leaving the driver retrying its registration.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import threading
from dataclasses import dataclass, field
from typing import Any

from slipstream.errors import ConnectorError
from slipstream.sdk._context import at_attempt_end

__all__ = ["MASTER_ENV", "Spark"]

MASTER_ENV = "SLIPSTREAM_SPARK_MASTER"
_CONNECT_TIMEOUT_S = 5.0
_lock = threading.RLock()
_session: Any = None
_session_key: tuple[tuple[str, str], ...] | None = None
_users = 0


@dataclass(frozen=True)
class Spark:
    """flytekitplugins-spark's ``Spark``: Spark and Hadoop settings of the task's session
    (``spark_conf={"spark.master": "spark://host:7077", "spark.executor.memory": "1g"}``)."""

    spark_conf: dict[str, str] = field(default_factory=dict)
    hadoop_conf: dict[str, str] = field(default_factory=dict)
    executor_path: str | None = None
    applications_path: str | None = None

    def custom_fields(self) -> dict[str, Any]:
        """The settings as the task template records them (they are part of its version)."""
        return {"spark_conf": dict(self.spark_conf), "hadoop_conf": dict(self.hadoop_conf)}

    def master(self) -> str:
        """The master URL the session connects to."""
        return self.spark_conf.get("spark.master") or os.environ.get(MASTER_ENV) or "local[*]"

    def prepare_attempt(self) -> None:
        """Build (or share) this process's SparkSession for these settings, until the attempt
        ends."""
        global _users
        with _lock:
            session(self)
            _users += 1
        at_attempt_end(_release)


def _release() -> None:
    """One attempt using the session ended; the last one stops it."""
    global _session, _session_key, _users
    with _lock:
        _users -= 1
        if _users > 0 or _session is None:
            return
        stopping, _session, _session_key = _session, None, None
        with contextlib.suppress(Exception):  # a session that died already is stopped
            stopping.stop()


def _check_master(master: str) -> None:
    """Fail fast when a standalone master (``spark://host:port[,host:port]``) does not answer."""
    if not master.startswith("spark://"):
        return
    errors = []
    for hostport in master.removeprefix("spark://").split(","):
        host, _, port = hostport.rpartition(":")
        try:
            with socket.create_connection((host, int(port)), timeout=_CONNECT_TIMEOUT_S):
                return
        except (OSError, ValueError) as e:
            errors.append(f"{hostport}: {e}")
    raise ConnectorError(f"Spark master {master} cannot be reached ({'; '.join(errors)})")


def session(config: Spark) -> Any:
    """The SparkSession for ``config``: the current one if built with the same settings."""
    global _session, _session_key
    master = config.master()
    conf = {**config.spark_conf, "spark.master": master}
    conf.setdefault("spark.pyspark.python", sys.executable)
    conf.update({f"spark.hadoop.{k}": v for k, v in config.hadoop_conf.items()})
    key = tuple(sorted(conf.items()))
    with _lock:
        if _session is not None and key == _session_key:
            return _session
        if _session is not None and _users:
            raise ConnectorError(
                f"Spark session on master {master}: an attempt using a session with other "
                "settings runs in this process (one SparkSession per process)"
            )
        _check_master(master)
        from pyspark.sql import SparkSession

        if _session is not None:
            _session.stop()
            _session = _session_key = None
        builder = SparkSession.builder.appName("slipstream")
        for k, v in conf.items():
            builder = builder.config(k, v)
        try:
            _session = builder.getOrCreate()
        except Exception as e:
            raise ConnectorError(f"Spark session on master {master} failed: {e}") from e
        _session_key = key
        return _session
