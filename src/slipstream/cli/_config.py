"""``slipstream config``: the client's config file."""

from __future__ import annotations

import click

from ._remote import echo_json, json_option

__all__ = ["config"]


@click.group()
def config() -> None:
    """Manage the client configuration."""


@config.command()
@click.option("--endpoint", default="http://127.0.0.1:8080", show_default=True, help="Server URL.")
@click.option("-p", "--project", default=None, help="Default project.")
@click.option("-d", "--domain", default=None, help="Default domain.")
@click.option(
    "--token",
    default=None,
    help="API token to keep in the file (then readable by its owner only).",
)
@json_option
def init(
    endpoint: str, project: str | None, domain: str | None, token: str | None, as_json: bool
) -> None:
    """Write the [client] table of the config file (other tables are kept)."""
    from slipstream.remote import write_client_config

    path = write_client_config(endpoint, project, domain, token)
    if as_json:
        echo_json({"path": str(path), "endpoint": endpoint, "project": project, "domain": domain})
    else:
        click.echo(f"wrote {path}")
