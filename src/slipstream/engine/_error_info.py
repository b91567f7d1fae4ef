"""The one converter of an exception into its recorded form (:class:`ErrorInfo`), for a worker's
attempt and an eager workflow's body alike: the failure code and kind of slipstream's own errors,
``user_error`` (``USER``) for any other exception, the class, the user's frames and the root cause."""

from __future__ import annotations

import contextlib
import os
from types import TracebackType

from slipstream.errors import ErrorKind, FailureCode, SlipstreamError
from slipstream.model import ErrorInfo

__all__ = ["error_info", "user_traceback"]

_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_STDLIB_DIR = os.path.dirname(contextlib.__file__) + os.sep


def _is_user_frame(tb: TracebackType) -> bool:
    path = tb.tb_frame.f_code.co_filename
    return not path.startswith((_PKG_DIR, _STDLIB_DIR)) and not path.startswith("<frozen ")


def user_traceback(tb: TracebackType | None) -> TracebackType | None:
    """``tb`` from the first frame of the user's code on, without the frames of slipstream
    that follow the user's last frame (a missing secret raised inside ``secrets.get``, a
    secret missing before the body ran: no frame of the user's at all, so None). Frames of
    libraries the user's code called stay."""
    frames: list[TracebackType] = []
    while tb is not None:
        frames.append(tb)
        tb = tb.tb_next
    users = [i for i, f in enumerate(frames) if _is_user_frame(f)]
    if not users:
        return None
    end = users[-1] + 1
    while end < len(frames) and not frames[end].tb_frame.f_code.co_filename.startswith(_PKG_DIR):
        end += 1  # a library the user called, up to slipstream's own frames
    kept: TracebackType | None = None
    for f in reversed(frames[users[0] : end]):
        kept = TracebackType(kept, f.tb_frame, f.tb_lasti, f.tb_lineno)
    return kept


def error_info(e: BaseException, node: str, kind: ErrorKind | None = None) -> ErrorInfo:
    """The recorded form of an exception: code, user or system (``kind`` overrides the error's
    own), class, user frames.

    The traceback of slipstream's own error (a store that failed under the task's call, say)
    keeps only the task's frames: slipstream's are not shown as if they were the user's code.
    """
    tb = user_traceback(e.__traceback__)
    text = ""
    if tb is not None:
        import traceback

        if isinstance(e, SlipstreamError):
            frames = [f for f in traceback.extract_tb(tb) if not f.filename.startswith(_PKG_DIR)]
            text = "Traceback (most recent call last):\n" + "".join(
                [*traceback.format_list(frames), *traceback.format_exception_only(type(e), e)]
            )
        else:
            text = "".join(traceback.format_exception(type(e), e, tb))
    code: str = FailureCode.USER_ERROR
    k = ErrorKind.USER
    if isinstance(e, SlipstreamError):
        code, k = e.code, e.kind
    t = type(e)
    return ErrorInfo(
        code=code,
        message=str(e) or t.__name__,
        kind=kind or k,
        type=_qualified(t),
        node=node,
        traceback=text,
        cause=_root_cause(e),
    )


def _qualified(t: type[BaseException]) -> str:
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def _root_cause(e: BaseException) -> str:
    """``Type: message`` of the innermost exception ``e`` was raised from or while handling."""
    root, seen = e, {id(e)}
    while True:
        nxt = root.__cause__ or (None if root.__suppress_context__ else root.__context__)
        if nxt is None or id(nxt) in seen:
            break
        seen.add(id(nxt))
        root = nxt
    if root is e:
        return ""
    return f"{_qualified(type(root))}: {root}"
