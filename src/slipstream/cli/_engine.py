"""``slipstream engine``: an engine host on its own, beside servers started with ``--no-engine``."""

from __future__ import annotations

import click

from ._host_options import runner_of, storage_options, worker_options
from ._remote import reports_errors

__all__ = ["engine"]


@click.command()
@storage_options
@worker_options
@reports_errors
def engine(
    db_url: str | None,
    store_url: str | None,
    home: str | None,
    workers: int | None,
    worker_user: str | None,
    runner: str | None,
    ray_address: str | None,
    shutdown_grace_s: float,
) -> None:
    """Run executions stored in the database; several engines share them through leases."""
    from slipstream.server import ServerConfig, serve_engine

    config = ServerConfig.load(
        home=home, db_url=db_url, store_url=store_url, worker_user=worker_user
    )

    def ready(owner: str) -> None:
        click.echo(f"slipstream engine {owner} running executions of the database")

    serve_engine(
        config,
        workers=workers,
        on_ready=ready,
        runner=runner_of(runner),
        ray_address=ray_address,
        shutdown_grace_s=shutdown_grace_s,
    )
    click.echo("slipstream engine stopped")
