"""The original exception of a failed attempt, carried across processes as pickled bytes.

A worker pickles the task's exception (cloudpickle when plain pickle refuses it) so that a local run
can raise the very class the user's code raised; the engine unpickles it only when a node fails for
good. An exception that cannot be carried leaves the recorded ``ErrorInfo`` as the only account.

A runner in the engine's own process (the inline runner) hands over the live object instead, with
its traceback intact for debuggers: the bytes are then a token for it in this process.
"""

from __future__ import annotations

import itertools
import pickle

__all__ = ["pack_exception", "unpack_exception"]

_LIVE_TAG = b"\x00live:"
_live: dict[bytes, BaseException] = {}
_seq = itertools.count()


def pack_exception(e: BaseException | None, *, live: bool = False) -> bytes:
    """``e`` pickled without its traceback, or ``b""`` when it cannot be pickled.

    With ``live`` (the runner shares the engine's process), a token for the object itself.
    """
    if e is None:
        return b""
    if live:
        token = _LIVE_TAG + str(next(_seq)).encode()
        _live[token] = e
        return token
    tb = e.__traceback__
    try:
        e.__traceback__ = None
        try:
            return pickle.dumps(e)
        except Exception:
            import cloudpickle

            try:
                return bytes(cloudpickle.dumps(e))
            except Exception:
                return b""
    finally:
        e.__traceback__ = tb


def unpack_exception(data: bytes, traceback: str = "") -> BaseException | None:
    """The exception ``pack_exception`` made, with the recorded user traceback as a note."""
    if not data:
        return None
    if data.startswith(_LIVE_TAG):
        return _live.pop(data, None)
    try:
        exc = pickle.loads(data)
    except Exception:
        return None
    if not isinstance(exc, BaseException):
        return None
    if traceback:
        exc.add_note(traceback.rstrip())
    return exc
