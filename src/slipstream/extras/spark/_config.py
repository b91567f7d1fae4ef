"""The ``Spark`` task config and the worker's SparkSession built from it.

The session is built in the worker before the attempt reads its inputs (a Spark DataFrame input
is read through it) and kept for the worker's next Spark attempt with the same settings; other
settings stop it and build a new one. The master is the config's ``spark.master``, else the
``SLIPSTREAM_SPARK_MASTER`` environment variable, else ``local[*]``. A standalone master that does
not answer fails the attempt within seconds, naming Spark and the master's URL, instead of
leaving the driver retrying its registration.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
from dataclasses import dataclass, field
from typing import Any

from slipstream.errors import ConnectorError

__all__ = ["MASTER_ENV", "Spark"]

MASTER_ENV = "SLIPSTREAM_SPARK_MASTER"
_CONNECT_TIMEOUT_S = 5.0
_lock = threading.Lock()
_session: Any = None
_session_key: tuple[tuple[str, str], ...] | None = None


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
        """Build (or keep) this process's SparkSession for these settings."""
        session(self)


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
