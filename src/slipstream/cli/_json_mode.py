"""``--json`` for every command, in one place: errors as one JSON object, output as JSON.

The root group (``_main``) decides once, from the command line, whether ``--json`` was given, and
gives every command that does not declare it a ``--json`` flag. Then:

- a failure of any command (a usage error, a bad input value, an error from slipstream or the
  server, an unexpected exception) prints ONE JSON object on stdout,
  ``{"error": {"code", "message", "kind", "input" | "node", "details"}}``, and exits with the
  same status as without ``--json`` (2 for bad usage, 1 otherwise);
- a command that declares its own ``--json`` (an ``as_json`` parameter) prints its own JSON;
- a command that does not gets its printed text wrapped: ``{"ok": true, "output": "..."}``, or,
  for the long-running ones (``server``, ``engine``, ``logs``), one ``{"output": line}`` per line
  as it is printed.

Without ``--json`` the root prints slipstream's errors as one line on stderr (exit 1), so that
commands need no error handling of their own.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import sys
import traceback
from collections.abc import Sequence
from contextvars import ContextVar
from typing import Any

import click

from slipstream.errors import SlipstreamError

__all__ = [
    "add_json_flag",
    "error_object",
    "json_mode",
    "json_requested",
    "print_error_json",
    "report_error",
    "set_json_mode",
]

_JSON: ContextVar[bool] = ContextVar("slipstream_cli_json", default=False)
_MARK = "_slipstream_json_flag"


def json_mode() -> bool:
    """True when the command line asked for ``--json``."""
    return _JSON.get()


def set_json_mode(on: bool) -> None:
    """Set by the root group before it parses the command line."""
    _JSON.set(on)


def json_requested(args: Sequence[str]) -> bool:
    """Whether ``--json`` is among the arguments (before a ``--`` that ends the options)."""
    for arg in args:
        if arg == "--":
            return False
        if arg == "--json":
            return True
    return False


def _declares_json(cmd: click.Command) -> bool:
    return any("--json" in p.opts for p in cmd.params if isinstance(p, click.Option))


def add_json_flag(cmd: click.Command) -> click.Command:
    """Give ``cmd`` (and every command of a group, recursively) a ``--json`` flag, unless it has
    one; a command without its own JSON output gets its printed text wrapped in JSON."""
    if getattr(cmd, _MARK, False):
        return cmd
    setattr(cmd, _MARK, True)
    if isinstance(cmd, click.Group):
        for sub in cmd.commands.values():
            add_json_flag(sub)
        return cmd
    callback = cmd.callback
    if _declares_json(cmd):
        if callback is not None and any(p.name == "as_json" for p in cmd.params):

            @functools.wraps(callback)
            def forced(*args: Any, **kwargs: Any) -> Any:
                if json_mode():  # `slipstream --json CMD`: the command's own flag is implied
                    kwargs["as_json"] = True
                return callback(*args, **kwargs)

            cmd.callback = forced
        return cmd
    cmd.params.append(
        click.Option(
            ["--json"],
            is_flag=True,
            expose_value=False,
            help="Print the result (or the error) as JSON on stdout.",
        )
    )
    if callback is not None:
        streams = cmd.name in STREAMING_COMMANDS

        @functools.wraps(callback)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not json_mode():
                return callback(*args, **kwargs)
            if streams:  # a long-running command: each line as it is printed
                with contextlib.redirect_stdout(_JsonLines(sys.stdout)):
                    return callback(*args, **kwargs)
            text = io.StringIO()
            with contextlib.redirect_stdout(text):
                result = callback(*args, **kwargs)
            _write({"ok": True, "output": text.getvalue().rstrip("\n")})
            return result

        cmd.callback = wrapped
    return cmd


STREAMING_COMMANDS = frozenset({"server", "engine", "logs", "follow"})
"""Commands that run until stopped or follow something: without JSON output of their own, each
line they print becomes one object ``{"output": line}`` at once, not one object at the end."""


class _JsonLines(io.TextIOBase):
    """A text stream that writes each complete line to ``out`` as ``{"output": line}``."""

    def __init__(self, out: Any) -> None:
        self._out = out
        self._pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._pending += text
        while "\n" in self._pending:
            line, self._pending = self._pending.split("\n", 1)
            self._out.write(json.dumps({"output": line}) + "\n")
            self._out.flush()
        return len(text)

    def flush(self) -> None:
        self._out.flush()


def _write(obj: dict[str, Any]) -> None:
    out = sys.stdout
    out.write(json.dumps(obj, default=str) + "\n")
    out.flush()


def error_object(e: BaseException) -> tuple[dict[str, Any], int]:
    """The JSON object for an error, and the exit status the command ends with."""
    body: dict[str, Any]
    if isinstance(e, SlipstreamError):
        body = {"code": e.code, "kind": e.kind, "message": e.message}
        details = e.details
        if isinstance(details, dict):
            for key in ("input", "node", "field"):
                if key in details:
                    body[key] = details[key]
        if details is not None:
            body["details"] = details
        return {"error": body}, 1
    if isinstance(e, click.UsageError):
        body = {"code": "usage_error", "kind": "USER", "message": e.format_message()}
        param = getattr(e, "param", None)
        if isinstance(e, click.MissingParameter):
            body["code"] = "missing_input"
        elif isinstance(e, click.BadParameter):
            body["code"] = "bad_input"
        if param is not None and param.name:
            body["input"] = param.name
        else:
            hint = getattr(e, "param_hint", None)
            if hint:
                body["input"] = str(hint).strip("'\"")
        return {"error": body}, e.exit_code
    if isinstance(e, click.ClickException):
        body = {"code": getattr(e, "code", "failed"), "kind": "USER", "message": e.format_message()}
        return {"error": body}, e.exit_code
    if isinstance(e, click.Abort | KeyboardInterrupt):
        return {"error": {"code": "aborted", "kind": "USER", "message": "aborted"}}, 1
    body = {
        "code": "internal_error",
        "kind": "SYSTEM",
        "message": f"{type(e).__name__}: {e}",
        "traceback": "".join(traceback.format_exception(e)),
    }
    return {"error": body}, 1


def print_error_json(e: BaseException) -> int:
    """Print the error object on stdout; returns the exit status."""
    obj, status = error_object(e)
    _write(obj)
    return status


def report_error(e: SlipstreamError) -> int:
    """A slipstream error for people: one line on stderr; returns the exit status."""
    click.echo(f"error [{e.code}]: {e.message}", err=True)
    return 1
