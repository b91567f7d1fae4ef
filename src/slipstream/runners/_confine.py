"""What a pool takes from an isolated worker: only what its attempt could honestly report.

A worker runs an editor's code, so its result is a claim, not a fact. The pool knows which
attempt the worker was given; the result is made to name that attempt (execution, node, attempt
number), keeps no pickled exception (unpickling it would run the worker's code in the server), and
may point only inside the attempt's own folder of the store (offloaded outputs, log, decks);
anything else fails the attempt.
"""

from __future__ import annotations

from slipstream.engine import AttemptRequest, AttemptResult
from slipstream.errors import FailureCode
from slipstream.model import ErrorInfo, ErrorKind

__all__ = ["confine"]


def confine(result: AttemptResult, req: AttemptRequest) -> AttemptResult:
    """``result`` as reported for ``req`` by a worker that is not trusted (changed in place)."""
    result.execution = req.execution
    result.node = req.node
    result.attempt = req.attempt
    result.exception = b""
    folder = req.output_prefix.rsplit("/", 1)[0] + "/"
    if result.log_uri and not _inside(result.log_uri, folder):
        result.log_uri = ""
    if result.deck_uri and not _inside(result.deck_uri, folder):
        result.deck_uri = ""
    if result.outputs_uri and not _inside(result.outputs_uri, folder):
        result.ok = False
        result.outputs_uri = ""
        result.outputs = None
        result.dynamic = b""
        result.error = ErrorInfo(
            code=FailureCode.BAD_RESULT,
            message=f"the worker reported outputs outside the attempt's folder ({folder})",
            kind=ErrorKind.USER,
            node=req.node,
        )
    return result


def _inside(uri: str, folder: str) -> bool:
    return uri.startswith(folder) and ".." not in uri[len(folder) :].split("/")
