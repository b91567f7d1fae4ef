"""``slipstream promote``: the same immutable entities registered in the next domain."""

from __future__ import annotations

import click

from ._kinds import KindChoice, kind_name
from ._remote import echo_json, endpoint_option, json_option, open_remote, when

__all__ = ["promote"]


@click.command()
@click.argument("kind", type=KindChoice())
@click.argument("name")
@click.option(
    "--version",
    required=True,
    help="The version to promote: the one `slipstream register` printed, or 'latest' (the "
    "newest in the source domain).",
)
@click.option("--from", "from_domain", required=True, help="Source domain.")
@click.option("--to", "to_domain", required=True, help="Target domain.")
@click.option("-p", "--project", default=None, help="Project (default: from config).")
@endpoint_option
@json_option
def promote(
    kind: str,
    name: str,
    version: str,
    from_domain: str,
    to_domain: str,
    project: str | None,
    endpoint: str | None,
    as_json: bool,
) -> None:
    """Promote KIND (task, workflow or launch-plan) NAME at --version from one domain to another.

    A workflow brings its tasks and its launch plans of that version; a launch plan its workflow.
    The target domain's settings apply; the server records who promoted what and when.
    """
    with open_remote(endpoint, project, None) as remote:
        done = remote.promote(kind, name, version, from_domain=from_domain, to_domain=to_domain)
    if as_json:
        import msgspec

        echo_json(msgspec.to_builtins(done))
        return
    click.echo(
        f"promoted {kind_name(kind)} {name}@{done.version} from {from_domain} to {to_domain} "
        f"({len(done.entities)} entities) by {done.promoted_by} at {when(done.promoted_at)}"
    )
