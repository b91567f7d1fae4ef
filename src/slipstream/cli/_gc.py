"""``slipstream gc``: apply the retention policies now (admin only).

Without ``-p`` every project is collected; ``-d`` needs ``-p``. ``--dry-run`` lists what would
go. A collected execution's blobs follow a grace period after its rows (``gc_grace_s``).
"""

from __future__ import annotations

import click

from ._remote import echo_json, endpoint_option, json_option, open_remote, token_option

__all__ = ["gc"]


@click.command()
@endpoint_option
@click.option("-p", "--project", default=None, help="Collect this project only (default: all).")
@click.option("-d", "--domain", default=None, help="Collect this domain of the project only.")
@click.option("--dry-run", is_flag=True, help="Say what would be collected; delete nothing.")
@token_option
@json_option
def gc(
    endpoint: str | None, project: str | None, domain: str | None, dry_run: bool, as_json: bool
) -> None:
    """Delete the ended executions the retention policies let go (setting ``retention``), with
    their rows, logs, decks and the blobs nothing kept points at."""
    import msgspec

    from slipstream.errors import NotFoundError, ValidationError

    if domain is not None and not project:
        raise click.UsageError("-d/--domain needs -p/--project")
    with open_remote(endpoint, project, domain) as remote:
        try:
            report = remote.gc(project=project, domain=domain, dry_run=dry_run)
        except (ValidationError, NotFoundError) as e:
            raise click.BadParameter(e.message, param_hint="-p/-d") from None
    if as_json:
        echo_json(msgspec.to_builtins(report))
        return
    verb = "would collect" if dry_run else "collected"
    click.echo(f"{verb} {report.executions_total} executions, {report.cache_entries} cache entries")
    for name in report.executions:
        click.echo(f"  {name}")
    if report.executions_total > len(report.executions):
        click.echo(f"  ... and {report.executions_total - len(report.executions)} more")
    if not dry_run:
        click.echo(
            f"blobs: {report.blobs_deleted} deleted, {report.blobs_kept} kept (still pointed "
            f"at); {report.prefixes_pending} data folders wait for their grace period"
        )
