"""``slipstream server``: the control plane on this machine (SQLite and local blobs by default)."""

from __future__ import annotations

import click

from ._remote import reports_errors

__all__ = ["server"]


@click.command()
@click.option("--host", default=None, help="Interface to listen on (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default 8080; 0 picks a free one).")
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
    "--domains",
    default=None,
    help="Comma-separated domains (default development,staging,production).",
)
@reports_errors
def server(
    host: str | None,
    port: int | None,
    db_url: str | None,
    store_url: str | None,
    home: str | None,
    domains: str | None,
) -> None:
    """Start the slipstream server; stops cleanly on Ctrl-C or SIGTERM."""
    from slipstream.server import ServerConfig, serve

    config = ServerConfig.load(
        home=home,
        db_url=db_url,
        store_url=store_url,
        host=host,
        port=port,
        domains=tuple(d.strip() for d in domains.split(",") if d.strip()) if domains else None,
    )
    click.echo(f"slipstream server: database {_redact(config.db_url)}, store {config.store_url}")

    def ready(url: str) -> None:
        click.echo(f"slipstream server listening on {url}", nl=True)

    serve(config, on_ready=ready)
    click.echo("slipstream server stopped")


def _redact(url: str) -> str:
    """The URL without its password."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url
