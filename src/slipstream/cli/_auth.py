"""``slipstream auth``: the token in use, users and their roles, API tokens."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

import click

from ._remote import echo_json, echo_table, endpoint_option, json_option, open_remote, token_option
from ._remote import when as _when

__all__ = ["auth"]

F = TypeVar("F", bound=Callable[..., Any])
ROLES = ("viewer", "launcher", "editor", "admin")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def _server_options(f: F) -> F:
    f = token_option(f)
    return endpoint_option(f)


def _duration(_ctx: click.Context, _param: click.Parameter, value: str | None) -> float | None:
    if value is None:
        return None
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*", value)
    if m is None or float(m.group(1)) <= 0:
        raise click.BadParameter(f"{value!r}: use a positive number with s, m, h, d or w (30d)")
    return float(m.group(1)) * _UNITS[m.group(2) or "s"]


def _grants(user: Any) -> str:
    return ", ".join(
        f"{g.role.value}@{g.project}" + (f"/{g.domain}" if g.domain else "") for g in user.grants
    )


def _when_or(value: float | None, empty: str = "") -> str:
    return empty if value is None else _when(value)


@click.group()
def auth() -> None:
    """Who may do what on the server: tokens, users, roles."""


@auth.group(invoke_without_command=True)
@token_option
@click.pass_context
def token(ctx: click.Context) -> None:
    """Print the token this client uses (on the server's machine: the admin token of its home).

    Its subcommands make, list and revoke tokens.
    """
    if ctx.invoked_subcommand is not None:
        return
    from slipstream.errors import ConfigError
    from slipstream.remote import ClientConfig

    explicit = ctx.find_root().meta.get("slipstream.token")
    found = explicit or ClientConfig.load("http://unused").token
    if not found:
        raise ConfigError(
            "no token: pass --token, set SLIPSTREAM_TOKEN or [client] token in the config "
            "file, or set SLIPSTREAM_HOME to the server's home (where it keeps admin-token)"
        )
    click.echo(found)


@token.command("create")
@_server_options
@click.option("--user", default="", help="For this user (admins only; default: yourself).")
@click.option("--description", default="", help="What the token is for.")
@click.option(
    "--expires-in", callback=_duration, default=None, help="Lifetime: 3600, 90m, 12h, 30d, 2w."
)
@click.option(
    "--metrics",
    is_flag=True,
    help="A scraper's token: it may read GET /metrics and nothing else.",
)
@click.option(
    "--cluster",
    default="",
    metavar="NAME",
    help="A data plane's token (admins only): it may claim, record and read the executions "
    "routed to cluster NAME and nothing else; NAME becomes a known cluster.",
)
@json_option
def token_create(
    endpoint: str | None,
    user: str,
    description: str,
    expires_in: float | None,
    metrics: bool,
    cluster: str,
    as_json: bool,
) -> None:
    """Make a token; it is printed this once and never shown again."""
    import msgspec

    if metrics and cluster:
        raise click.UsageError("--metrics and --cluster make different tokens: pass one")
    with open_remote(endpoint, None, None) as remote:
        new = remote.access.create_token(
            user,
            description=description,
            expires_in=expires_in,
            scope="metrics" if metrics else f"cluster:{cluster}" if cluster else "",
        )
    if as_json:
        echo_json(msgspec.to_builtins(new))
        return
    info = new.info
    until = f", expires {_when(info.expires_at)}" if info.expires_at is not None else ""
    only = (
        f", for cluster {info.scope.partition(':')[2]}'s data plane only"
        if info.scope.startswith("cluster:")
        else ", for /metrics only"
        if info.scope
        else ""
    )
    click.echo(
        f"token {info.id} for {info.user}{until}{only} (shown once; keep it secret):", err=True
    )
    click.echo(new.token)


@token.command("list")
@_server_options
@click.option("--user", default=None, help="Whose tokens (admins only; '*' for everyone's).")
@json_option
def token_list(endpoint: str | None, user: str | None, as_json: bool) -> None:
    """List tokens (never their secrets)."""
    import msgspec

    with open_remote(endpoint, None, None) as remote:
        tokens = remote.access.tokens(user)
    if as_json:
        echo_json(msgspec.to_builtins(tokens))
        return
    rows = [
        {
            "id": t.id,
            "user": t.user,
            "description": t.description,
            "created": _when(t.created_at),
            "expires": _when_or(t.expires_at, "never"),
            "revoked": _when_or(t.revoked_at),
            "made by": t.parent,
            "scope": t.scope or "all",
        }
        for t in tokens
    ]
    echo_table(rows, ["id", "user", "description", "created", "expires", "revoked", "made by"])


@token.command("revoke")
@_server_options
@click.argument("token_id")
def token_revoke(endpoint: str | None, token_id: str) -> None:
    """Revoke a token by id (``ss_<id>_...``; a whole token is accepted too)."""
    m = re.fullmatch(r"ss_([0-9a-f]{16})_.*", token_id)
    with open_remote(endpoint, None, None) as remote:
        info = remote.access.revoke_token(m.group(1) if m else token_id)
    click.echo(f"token {info.id} of {info.user} revoked")


@auth.command("login-link")
@_server_options
@json_option
def login_link(endpoint: str | None, as_json: bool) -> None:
    """Print a one-time link that logs a browser into the console as you (valid for minutes,
    once; the browser's session is revoked with the token in use)."""
    with open_remote(endpoint, None, None) as remote:
        url = remote.access.login_link()
    if as_json:
        echo_json({"url": url})
        return
    click.echo("open this link once, within 5 minutes, to log in to the console:", err=True)
    click.echo(url)


@auth.command()
@_server_options
@json_option
def whoami(endpoint: str | None, as_json: bool) -> None:
    """The user of the token in use and their roles."""
    import msgspec

    with open_remote(endpoint, None, None) as remote:
        me = remote.access.whoami()
    if as_json:
        echo_json(msgspec.to_builtins(me))
    else:
        click.echo(f"{me.name}: {_grants(me) or 'no roles'}")


@auth.command("create-user")
@_server_options
@click.argument("name")
def create_user(endpoint: str | None, name: str) -> None:
    """Create a user (admins only); grant roles next, then make them a token."""
    with open_remote(endpoint, None, None) as remote:
        remote.access.create_user(name)
    click.echo(f"user {name} created; next: slipstream auth grant {name} ROLE --project P")


@auth.command()
@_server_options
@json_option
def users(endpoint: str | None, as_json: bool) -> None:
    """List users and their roles (admins only)."""
    import msgspec

    with open_remote(endpoint, None, None) as remote:
        found = remote.access.users()
    if as_json:
        echo_json(msgspec.to_builtins(found))
        return
    echo_table([{"user": u.name, "roles": _grants(u)} for u in found], ["user", "roles"])


@auth.command()
@_server_options
@click.argument("name")
@click.argument("role", type=click.Choice(ROLES))
@click.option("-p", "--project", required=True, help="The project, or '*' for every project.")
@click.option("-d", "--domain", default="", help="Only this domain (default: all of them).")
def grant(endpoint: str | None, name: str, role: str, project: str, domain: str) -> None:
    """Give NAME the ROLE on a project (replacing the role held there)."""
    with open_remote(endpoint, None, None) as remote:
        user = remote.access.grant(name, role, project, domain)
    click.echo(f"{user.name}: {_grants(user) or 'no roles'}")


@auth.command()
@_server_options
@click.argument("name")
@click.option("-p", "--project", required=True, help="The grant's project, or '*'.")
@click.option("-d", "--domain", default="", help="The grant's domain (default: the whole project).")
def revoke(endpoint: str | None, name: str, project: str, domain: str) -> None:
    """Take away NAME's role on a project/domain."""
    with open_remote(endpoint, None, None) as remote:
        user = remote.access.revoke(name, project, domain)
    click.echo(f"{user.name}: {_grants(user) or 'no roles'}")
