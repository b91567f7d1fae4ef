"""Where task attempts run: inline, in warm local worker processes, (later) on Ray."""

from ._entrypoint import error_info, run_attempt, user_traceback
from ._inline import InlineRunner
from ._local import LocalRun, closure_of, default_catalog, execute_local, make_runner, run_local
from ._pool import LocalRunner

__all__ = [
    "InlineRunner",
    "LocalRun",
    "LocalRunner",
    "closure_of",
    "default_catalog",
    "error_info",
    "execute_local",
    "make_runner",
    "run_attempt",
    "run_local",
    "user_traceback",
]
