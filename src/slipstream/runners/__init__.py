"""Where task attempts run: inline, in warm local worker processes, on Ray."""

from typing import TYPE_CHECKING, Any

from ._connectors import ConnectorRunner
from ._entrypoint import error_info, run_attempt, user_traceback
from ._inline import InlineRunner
from ._local import (
    LocalRun,
    closure_of,
    code_root_for,
    default_catalog,
    execute_local,
    make_runner,
    run_local,
)
from ._plugins import RunnerFactory, RunnerOptions, load_runner
from ._resources import detect_cpus, detect_gpus, detect_memory

if TYPE_CHECKING:
    from ._envs import check_resolvable
    from ._pool import LocalRunner
    from ._ray import RayRunner


def __getattr__(name: str) -> Any:
    # the process pool (multiprocessing) loads only when a local runner is asked for
    if name == "LocalRunner":
        from ._pool import LocalRunner

        return LocalRunner
    if name == "RayRunner":  # Ray loads only when a Ray runner is asked for
        from ._ray import RayRunner

        return RayRunner
    if name == "check_resolvable":  # registration's check of ImageSpec environments
        from ._envs import check_resolvable

        return check_resolvable
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ConnectorRunner",
    "InlineRunner",
    "LocalRun",
    "LocalRunner",
    "RayRunner",
    "RunnerFactory",
    "RunnerOptions",
    "check_resolvable",
    "closure_of",
    "code_root_for",
    "default_catalog",
    "detect_cpus",
    "detect_gpus",
    "detect_memory",
    "error_info",
    "execute_local",
    "load_runner",
    "make_runner",
    "run_attempt",
    "run_local",
    "user_traceback",
]
