"""``slipstream engine``: an engine host on its own, beside servers started with ``--no-engine``,
or a data plane of a compute cluster that reaches the control plane only through its API."""

from __future__ import annotations

import click

from ._host_options import runner_of, storage_options, worker_options

__all__ = ["engine"]


@click.command()
@storage_options
@worker_options
@click.option(
    "--cluster",
    default="local",
    show_default=True,
    help="The compute cluster this host belongs to: it runs only executions routed there.",
)
@click.option(
    "--endpoint",
    default=None,
    metavar="URL",
    help="Run as a data plane: reach the control plane through its API at URL (no --db; "
    "blobs go to --store, code and workers' files under --home).",
)
@click.option(
    "--token",
    default=None,
    envvar="SLIPSTREAM_TOKEN",
    help="With --endpoint: the cluster's token (`slipstream auth token create --cluster NAME`) "
    "[env: SLIPSTREAM_TOKEN].",
)
def engine(
    db_url: str | None,
    store_url: str | None,
    home: str | None,
    workers: int | None,
    worker_user: str | None,
    runner: str | None,
    ray_address: str | None,
    shutdown_grace_s: float,
    cluster: str,
    endpoint: str | None,
    token: str | None,
) -> None:
    """Run executions of one cluster: from the database (several engines share them through
    leases), or, with --endpoint, as a data plane through the control plane's API."""
    from slipstream.server import ServerConfig, serve_engine

    if endpoint is not None and db_url is not None:
        raise click.UsageError(
            "--endpoint and --db exclude each other: a data plane reaches the control plane "
            "through its API only"
        )
    if endpoint is not None and not endpoint.startswith(("http://", "https://")):
        raise click.UsageError(f"--endpoint must be an http(s) URL, got {endpoint!r}")
    config = ServerConfig.load(
        home=home, db_url=db_url, store_url=store_url, worker_user=worker_user
    )
    where = f"of cluster {cluster} through {endpoint}" if endpoint else f"of cluster {cluster}"

    def ready(owner: str) -> None:
        click.echo(f"slipstream engine {owner} running executions {where}")

    serve_engine(
        config,
        workers=workers,
        on_ready=ready,
        runner=runner_of(runner),
        ray_address=ray_address,
        shutdown_grace_s=shutdown_grace_s,
        cluster=cluster,
        endpoint=endpoint,
        token=token,
    )
    click.echo("slipstream engine stopped")
