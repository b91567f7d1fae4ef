"""``slipstream signal EXECUTION NAME VALUE``: answer a gate of a running execution.

VALUE is parsed by the gate's declared type with the same parser as ``slipstream run``'s inputs;
``approve`` gates take yes/no (true/false).
"""

from __future__ import annotations

import click

from ._remote import echo_json, open_remote, remote_command

__all__ = ["signal"]


@click.command()
@click.argument("execution")
@click.argument("name")
@click.argument("value")
@remote_command
def signal(
    execution: str,
    name: str,
    value: str,
    endpoint: str | None,
    project: str | None,
    domain: str | None,
    as_json: bool,
) -> None:
    """Send VALUE to the gate NAME of EXECUTION (``wait_for_input`` or ``approve``)."""
    import msgspec

    with open_remote(endpoint, project, domain) as remote:
        info = remote.signal(execution, name, value)
    if as_json:
        echo_json(msgspec.to_builtins(info))
    else:
        click.echo(f"{name} = {msgspec.json.encode(info.value).decode()} ({info.type})")
