"""``slipstream server``: the control plane on this machine (SQLite and local blobs by default)."""

from __future__ import annotations

import click

from ._host_options import runner_of, storage_options, worker_options

__all__ = ["server"]


@click.command()
@click.option("--host", default=None, help="Interface to listen on (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default 8080; 0 picks a free one).")
@storage_options
@click.option(
    "--domains",
    default=None,
    help="Comma-separated domains (default development,staging,production).",
)
@click.option(
    "--protected-domains",
    default=None,
    help="Comma-separated domains that only promotion puts entities in (promoting into them "
    "needs the admin role).",
)
@click.option(
    "--allowed-host",
    "allowed_hosts",
    multiple=True,
    help="Another host name clients may use (Host and Origin headers); '*' allows any.",
)
@click.option(
    "--no-auth",
    is_flag=True,
    help="Serve without tokens: anyone who can connect is admin. Only on a loopback address.",
)
@click.option(
    "--no-engine",
    is_flag=True,
    help="Serve the API only; run executions with `slipstream engine` processes on the same "
    "database.",
)
@worker_options
def server(
    host: str | None,
    port: int | None,
    db_url: str | None,
    store_url: str | None,
    home: str | None,
    domains: str | None,
    protected_domains: str | None,
    allowed_hosts: tuple[str, ...],
    no_auth: bool,
    no_engine: bool,
    workers: int | None,
    worker_user: str | None,
    runner: str | None,
    ray_address: str | None,
    shutdown_grace_s: float,
) -> None:
    """Start the slipstream server; stops cleanly on Ctrl-C or SIGTERM."""
    from slipstream.remote import console_url
    from slipstream.server import ServerConfig, serve

    config = ServerConfig.load(
        home=home,
        db_url=db_url,
        store_url=store_url,
        host=host,
        port=port,
        domains=tuple(d.strip() for d in domains.split(",") if d.strip()) if domains else None,
        auth=False if no_auth else None,
        allowed_hosts=allowed_hosts or None,
        protected_domains=tuple(protected_domains.split(",")) if protected_domains else None,
        worker_user=worker_user,
    )
    if not config.auth:
        click.echo(
            "warning: authentication is off (--no-auth): anyone who can connect to "
            f"{config.host} may do anything, including run code; use it for throwaway servers",
            err=True,
        )
    click.echo(f"slipstream server: database {_redact(config.db_url)}, store {config.store_url}")

    def ready(url: str) -> None:
        if config.auth:
            click.echo(f"slipstream server: admin token in {config.home / 'admin-token'}")
        click.echo(f"slipstream server listening on {url}", nl=True)
        click.echo(f"slipstream console: {console_url(url)}")

    serve(
        config,
        on_ready=ready,
        engine=not no_engine,
        workers=workers,
        runner=runner_of(runner),
        ray_address=ray_address,
        shutdown_grace_s=shutdown_grace_s,
    )
    click.echo("slipstream server stopped")


def _redact(url: str) -> str:
    """The URL without its password."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url
