"""Options that ``slipstream server`` and ``slipstream engine`` share: where the records and blobs
are, and where attempts run."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

import click

__all__ = ["runner_of", "storage_options", "worker_options"]

F = TypeVar("F", bound=Callable[..., Any])


def storage_options(f: F) -> F:
    """``--db``, ``--store``, ``--home``."""
    f = click.option(
        "--home", default=None, help="Home directory (default SLIPSTREAM_HOME or ~/.slipstream)."
    )(f)
    f = click.option(
        "--store", "store_url", default=None, help="Blob store URL (a path, file://, s3://...)."
    )(f)
    return click.option(
        "--db",
        "db_url",
        default=None,
        help="Database URL (sqlite:///... or postgresql+psycopg://...).",
    )(f)


def worker_options(f: F) -> F:
    """``--workers``, ``--runner``, ``--ray-address``, ``--shutdown-grace``."""
    f = click.option(
        "--shutdown-grace",
        "shutdown_grace_s",
        type=click.FloatRange(min=0),
        default=10.0,
        show_default=True,
        envvar="SLIPSTREAM_SHUTDOWN_GRACE_S",
        help="Seconds a stopping engine host waits for running attempts before it hands them "
        "back as interrupted (they run again on the next host; no retry is spent) "
        "[env: SLIPSTREAM_SHUTDOWN_GRACE_S].",
    )(f)
    f = click.option(
        "--ray-address",
        default=None,
        help="The Ray cluster of --runner ray (default: RAY_ADDRESS, else a private local Ray).",
    )(f)
    f = click.option(
        "--runner",
        type=click.Choice(["local", "ray"]),
        default=None,
        help="Where attempts run: 'local' (warm worker processes, the default) or 'ray' (warm "
        "actors on a Ray cluster) [env: SLIPSTREAM_RUNNER].",
    )(f)
    f = click.option(
        "--worker-user",
        default=None,
        help="The OS user workers run as when started as root (default slipstream-worker, made "
        "when missing) [env: SLIPSTREAM_WORKER_USER].",
    )(f)
    return click.option(
        "--workers",
        type=click.IntRange(min=1),
        default=None,
        help="Warm worker processes (default: one per CPU).",
    )(f)


def runner_of(runner: str | None) -> str:
    """The runner asked for: the option, else ``SLIPSTREAM_RUNNER``, else the local pool."""
    return runner or os.environ.get("SLIPSTREAM_RUNNER") or "local"
