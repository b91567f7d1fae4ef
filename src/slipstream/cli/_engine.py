"""``slipstream engine``: an engine host on its own, beside servers started with ``--no-engine``."""

from __future__ import annotations

import os

import click

from ._remote import reports_errors

__all__ = ["engine"]


@click.command()
@click.option(
    "--db", "db_url", default=None, help="Database URL (sqlite:///... or postgresql+psycopg://...)."
)
@click.option(
    "--store", "store_url", default=None, help="Blob store URL (a path, file://, s3://...)."
)
@click.option(
    "--home", default=None, help="Home directory (default SLIPSTREAM_HOME or ~/.slipstream)."
)
@click.option(
    "--workers", type=int, default=None, help="Warm worker processes (default: one per CPU)."
)
@click.option(
    "--runner",
    type=click.Choice(["local", "ray"]),
    default=None,
    help="Where attempts run: 'local' (warm worker processes, the default) or 'ray' (warm "
    "actors on a Ray cluster) [env: SLIPSTREAM_RUNNER].",
)
@click.option(
    "--ray-address",
    default=None,
    help="The Ray cluster of --runner ray (default: RAY_ADDRESS, else a private local Ray).",
)
@reports_errors
def engine(
    db_url: str | None,
    store_url: str | None,
    home: str | None,
    workers: int | None,
    runner: str | None,
    ray_address: str | None,
) -> None:
    """Run executions stored in the database; several engines share them through leases."""
    from slipstream.server import ServerConfig, serve_engine

    if workers is not None and workers < 1:
        raise click.BadParameter("must be at least 1", param_hint="--workers")
    config = ServerConfig.load(home=home, db_url=db_url, store_url=store_url)

    def ready(owner: str) -> None:
        click.echo(f"slipstream engine {owner} running executions of the database")

    serve_engine(
        config,
        workers=workers,
        on_ready=ready,
        runner=runner or os.environ.get("SLIPSTREAM_RUNNER") or "local",
        ray_address=ray_address,
    )
    click.echo("slipstream engine stopped")
