"""``slipstream db``: database maintenance (migrations)."""

from __future__ import annotations

import click

from ._remote import echo_json, json_option

__all__ = ["db"]


@click.group()
def db() -> None:
    """Manage the server's database."""


@db.command()
@click.option("--db", "db_url", default=None, help="Database URL (default: the server's).")
@click.option("--home", default=None, help="Home directory (default SLIPSTREAM_HOME).")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@json_option
def upgrade(db_url: str | None, home: str | None, revision: str, as_json: bool) -> None:
    """Apply the database migrations (the server also applies them when it starts)."""
    from slipstream.server import Database, ServerConfig

    config = ServerConfig.load(home=home, db_url=db_url)
    database = Database(config.db_url)
    try:
        database.upgrade(revision)
        current = database.current_revision()
        if as_json:
            echo_json({"revision": current})
        else:
            click.echo(f"database at revision {current}")
    finally:
        database.dispose()
