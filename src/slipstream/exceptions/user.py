"""flytekit's ``flytekit.exceptions.user``: exceptions a task raises on purpose.

slipstream retries a task on any exception (up to its ``retries``), so
:class:`FlyteRecoverableException` is an ordinary exception here that says "try again".
"""

__all__ = [
    "FlyteAssertion",
    "FlyteRecoverableException",
    "FlyteUserException",
    "FlyteUserRuntimeException",
    "FlyteValueException",
]


class FlyteUserException(Exception):
    """Base of the exceptions user code raises on purpose."""


class FlyteUserRuntimeException(FlyteUserException, RuntimeError):
    """A failure of the user's code while it runs."""


class FlyteRecoverableException(FlyteUserRuntimeException):
    """A failure worth retrying (a flaky service, a preempted resource): the task is retried."""


class FlyteAssertion(FlyteUserException, AssertionError):
    """A broken assumption in user code."""


class FlyteValueException(FlyteUserException, ValueError):
    """A value user code cannot accept."""
