"""``slipstream logs EXECUTION [NODE] [--attempt N] [--follow]``: an attempt's stdout and stderr."""

from __future__ import annotations

import sys

import click

from ._remote import echo_json, open_remote, remote_command

__all__ = ["logs"]


@click.command()
@click.argument("execution")
@click.argument("node", required=False)
@click.option(
    "--attempt",
    type=click.IntRange(min=1),
    default=None,
    help="Which attempt, counting from 1 as a node's attempts are counted (default: the last).",
)
@click.option("--follow", "-f", is_flag=True, help="Keep printing while the attempt runs.")
@remote_command
def logs(
    execution: str,
    node: str | None,
    attempt: int | None,
    follow: bool,
    endpoint: str | None,
    project: str | None,
    domain: str | None,
    as_json: bool,
) -> None:
    """Print the log of NODE's attempt in EXECUTION (without NODE: list the nodes that ran
    attempts, with the number of their last attempt)."""
    with open_remote(endpoint, project, domain) as remote:
        if node is None:
            rows = [
                {"node": n.path, "attempts": n.attempts, "phase": n.phase.value}
                for n in remote.node_executions(execution, deep=True)
                if n.attempts
            ]
            if as_json:
                echo_json(rows)
            else:
                for row in rows:
                    click.echo(f"{row['node']}\t{row['attempts']} attempt(s)\t{row['phase']}")
            return
        chunks = remote.logs(execution, node, attempt, follow=follow)
        if as_json:
            echo_json({"execution": execution, "node": node, "log": "".join(chunks)})
            return
        for chunk in chunks:
            sys.stdout.write(chunk)
            sys.stdout.flush()
