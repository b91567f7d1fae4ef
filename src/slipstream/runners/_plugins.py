"""Runners by name, as plugins: the ``slipstream.runners`` entry points and the one loader.

A runner is named where it is chosen (``run --runner``, ``serve --runner``, ``make_runner("ray")``)
and built by the factory its entry point names (``module:function``, taking the
:class:`RunnerOptions`). slipstream declares its own (``inline``, ``local``, ``ray``) in its
``pyproject.toml`` as any other package declares one, and they load through slipstream's one
plugin loader (:mod:`slipstream._plugins`); each factory imports its runner only when called, so naming the inline runner loads neither the process pool nor Ray. Whatever the runner,
connector task types run beside it (:class:`~._connectors.ConnectorRunner`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from slipstream._plugins import entry_point, entry_point_names
from slipstream.errors import ConfigError

if TYPE_CHECKING:
    from slipstream.engine import Runner

__all__ = ["GROUP", "RunnerFactory", "RunnerOptions", "inline", "load_runner", "local", "ray"]

GROUP = "slipstream.runners"


@dataclass(frozen=True)
class RunnerOptions:
    """What the one choosing a runner may say about it; a factory takes what applies to it."""

    workers: int | None = None
    """Attempts at once: worker processes, or Ray actors (None: the runner's default)."""
    code_root: str = ""
    """Where the code of the tasks lives, for workers to import it from."""
    address: str | None = None
    """The cluster to run on (Ray: None for ``RAY_ADDRESS``, else a private local Ray)."""
    isolation: Any = None
    """How workers are kept apart from their host (the server's worker user), or None."""


class RunnerFactory(Protocol):
    """What a ``slipstream.runners`` entry point names."""

    def __call__(self, options: RunnerOptions) -> Runner:
        """A new runner."""
        ...


def inline(options: RunnerOptions) -> Runner:
    """Attempts run in this process, one at a time."""
    from ._inline import InlineRunner

    return InlineRunner()


def local(options: RunnerOptions) -> Runner:
    """A pool of warm local worker processes."""
    from ._pool import LocalRunner

    return LocalRunner(
        workers=options.workers, code_root=options.code_root, isolation=options.isolation
    )


def ray(options: RunnerOptions) -> Runner:
    """Warm actors on a Ray cluster."""
    from ._ray import RayRunner

    return RayRunner(options.address, code_root=options.code_root, max_actors=options.workers)


def _unknown(name: str) -> str:
    known = entry_point_names(GROUP)
    if not known:
        return (
            f"unknown runner {name!r}: no {GROUP} entry point is installed (reinstall slipstream)"
        )
    *first, last = sorted(known)
    return (
        f"unknown runner {name!r}; use "
        + (f"{', '.join(map(repr, first))} or " if first else "")
        + repr(last)
    )


def load_runner(name: str, options: RunnerOptions | None = None) -> Runner:
    """The runner named ``name`` (a ``slipstream.runners`` entry point) built with ``options``,
    with connector task types running beside it; :class:`~slipstream.errors.ConfigError` for a
    name no entry point declares."""
    from ._connectors import ConnectorRunner

    factory: RunnerFactory | None = entry_point(GROUP, name)
    if factory is None:
        raise ConfigError(_unknown(name))
    return ConnectorRunner(factory(options or RunnerOptions()))
