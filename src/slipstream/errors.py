"""The one error hierarchy of slipstream.

Every error slipstream raises on purpose derives from :class:`SlipstreamError`. Subclasses also derive
from the builtin a caller would expect to catch (``TypeError``, ``ValueError``, ``KeyError``...), carry a
stable ``code`` (shown by the CLI and returned by the API) and say whether the failure is the user's or
the system's: ``kind`` drives retries and is recorded with every failed attempt.

    SlipstreamError
    ├── CompileError (TypeError)            wiring mistakes caught when a workflow is defined
    ├── LiteralTypeError (TypeError)        a value that does not fit its declared type at run time
    ├── TypeTransformerError (TypeError)    no transformer for a Python type / broken transformer
    ├── InputError (TypeError)              a missing, unknown or badly parsed input to a run
    ├── UserTaskError                       the user's code raised; wraps and keeps the original
    ├── TaskTimeoutError (TimeoutError)     an attempt ran past its timeout
    ├── WaitTimeoutError (TimeoutError)     waiting for an execution to end took longer than asked
    ├── TaskOutOfMemoryError (MemoryError)  an attempt went over its task's memory limit
    ├── UnschedulableError (ValueError)     an attempt asks more resources than the machine has
    ├── WorkerLostError                     the process running an attempt died under it
    ├── UnsendableError (ValueError)        an attempt's values cannot be encoded for a worker
    ├── EnvironmentBuildError (RuntimeError)  a task's environment (ImageSpec) cannot be built here
    ├── ConnectorError (RuntimeError)       a connector's service refused, lost or failed a job
    ├── ExecutionFailedError                an execution ended FAILED (carries the node and error)
    │   └── BranchFailedError (ValueError)  a conditional took its ``else_().fail(message)`` case
    ├── EagerException                      an awaited call of an eager workflow failed (carries
    │                                       the call's error; the body may catch it)
    ├── NondeterministicError (RuntimeError)  a resumed eager body made other calls than recorded
    ├── IllegalTransitionError (RuntimeError)  a state machine was asked for a forbidden move
    ├── StorageError (OSError)              a blob could not be read or written
    │   └── StoreFullError                  the store has no room left (not retried)
    ├── NotFoundError (KeyError)            an entity, execution or blob that does not exist
    ├── ConflictError (ValueError)          an immutable entity registered again with other content
    ├── ConfigError (ValueError)            bad configuration
    ├── ValidationError (ValueError)        a request or spec that breaks a rule (malformed, over a limit)
    │   ├── TooLargeError                   a request body past its size limit
    │   └── UnsupportedMediaTypeError       a body of a content type the endpoint does not take
    ├── AuthenticationError (PermissionError)  no valid token came with a request
    ├── PermissionDeniedError (PermissionError)  the caller's roles do not allow the action
    ├── AlreadyRunningError (RuntimeError)  a second server started on the same home
    └── RemoteError (ConnectionError)       the server cannot be reached or did not answer the API
"""

from __future__ import annotations

from typing import ClassVar, Literal

__all__ = [
    "AlreadyRunningError",
    "AuthenticationError",
    "CompileError",
    "ConfigError",
    "BranchFailedError",
    "ConflictError",
    "ConnectorError",
    "EagerException",
    "EnvironmentBuildError",
    "ErrorKind",
    "ExecutionFailedError",
    "IllegalTransitionError",
    "InputError",
    "LiteralTypeError",
    "NondeterministicError",
    "NotFoundError",
    "PermissionDeniedError",
    "RemoteError",
    "SlipstreamError",
    "StorageError",
    "StoreFullError",
    "TaskOutOfMemoryError",
    "TaskTimeoutError",
    "TooLargeError",
    "TypeTransformerError",
    "UnschedulableError",
    "UnsendableError",
    "UnsupportedMediaTypeError",
    "UserTaskError",
    "ValidationError",
    "WaitTimeoutError",
    "WorkerLostError",
]

ErrorKind = Literal["USER", "SYSTEM"]


class SlipstreamError(Exception):
    """Root of every error slipstream raises on purpose."""

    code: ClassVar[str] = "slipstream_error"
    kind: ClassVar[ErrorKind] = "SYSTEM"

    def __init__(self, message: str, *, details: object | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return self.message


class CompileError(SlipstreamError, TypeError):
    """A workflow's wiring is wrong; raised while the workflow is being defined.

    ``location`` is ``"file.py:LINE"`` of the offending call when it is known.
    """

    code = "compile_error"
    kind = "USER"

    def __init__(
        self, message: str, *, location: str | None = None, details: object | None = None
    ) -> None:
        self.location = location
        if location and location not in message:
            message = f"{message}\n  at {location}"
        super().__init__(message, details=details)


class LiteralTypeError(SlipstreamError, TypeError):
    """A value does not match the declared type of an input or output."""

    code = "type_mismatch"
    kind = "USER"


class TypeTransformerError(SlipstreamError, TypeError):
    """No transformer handles a Python type, or a transformer failed."""

    code = "type_transformer"
    kind = "USER"


class InputError(SlipstreamError, TypeError):
    """A missing, unknown or unparsable input to a task, workflow or launch plan."""

    code = "bad_input"
    kind = "USER"


class UserTaskError(SlipstreamError):
    """The user's task code raised. ``original`` is the exception, ``node`` where it happened."""

    code = "user_error"
    kind = "USER"

    def __init__(
        self,
        message: str,
        *,
        original: BaseException | None = None,
        node: str | None = None,
        details: object | None = None,
    ) -> None:
        super().__init__(message, details=details)
        self.original = original
        self.node = node


class TaskTimeoutError(SlipstreamError, TimeoutError):
    """An attempt ran past its task's timeout and was stopped."""

    code = "timeout"
    kind = "USER"


class TaskOutOfMemoryError(SlipstreamError, MemoryError):
    """An attempt's worker went over the task's memory limit and the attempt was stopped.

    Recorded with the error kind ``OOM``: the attempt runs again with more memory, up to a cap,
    spending neither the task's retries nor the platform's budget.
    """

    code = "out_of_memory"
    kind = "SYSTEM"


class UnschedulableError(SlipstreamError, ValueError):
    """An attempt asks more CPU, memory or GPUs than the whole machine (or cluster) has."""

    code = "unschedulable"
    kind = "USER"


class WorkerLostError(SlipstreamError):
    """The worker process running an attempt died under it (killed, crashed, out of memory)."""

    code = "worker_lost"
    kind = "SYSTEM"


class UnsendableError(SlipstreamError, ValueError):
    """An attempt's values cannot be encoded for a worker (an int past 64 bits, say): that
    attempt fails, and nothing else."""

    code = "unsendable_input"
    kind = "SYSTEM"


class EnvironmentBuildError(SlipstreamError, RuntimeError):
    """A task's environment (its ``ImageSpec``) cannot be built or used by this runner: the
    resolver failed (its own message is kept), or the spec asks for what only an image build gives
    (``apt_packages``, ``base_image``)."""

    code = "environment_build_failed"
    kind = "USER"


class ConnectorError(SlipstreamError, RuntimeError):
    """A connector's service refused a job, lost it, or could not be asked (a job that the service
    itself ran and failed is recorded with kind ``USER``). The message names the service."""

    code = "connector_error"
    kind = "SYSTEM"


class WaitTimeoutError(SlipstreamError, TimeoutError):
    """A client waited for an execution to end longer than its timeout (the execution goes on)."""

    code = "wait_timeout"
    kind = "USER"


class ExecutionFailedError(SlipstreamError):
    """An execution ended in a failed phase; ``node`` and ``error`` say where and why."""

    code = "execution_failed"
    kind = "USER"

    def __init__(
        self, message: str, *, node: str | None = None, error: object | None = None
    ) -> None:
        super().__init__(message, details=error)
        self.node = node
        self.error = error


class BranchFailedError(ExecutionFailedError, ValueError):
    """A conditional ran its ``else_().fail(message)`` case (flytekit raises a ``ValueError``)."""

    code = "branch_failed"
    kind = "USER"


class EagerException(SlipstreamError):
    """A call awaited by an eager workflow failed; the body sees it where it awaited the call.

    ``node`` is the call's node path (``n0/e3``), ``error`` its recorded error and ``cause`` the
    task's own exception when it could be carried back (also set as ``__cause__``).
    """

    code = "eager_call_failed"
    kind = "USER"

    def __init__(
        self,
        message: str,
        *,
        node: str | None = None,
        error: object | None = None,
        cause: BaseException | None = None,
    ) -> None:
        super().__init__(message, details=error)
        self.node = node
        self.error = error
        self.cause = cause
        self.__cause__ = cause


class NondeterministicError(SlipstreamError, RuntimeError):
    """A resumed eager body's call ``i`` is not the call ``i`` its records hold: the body's
    control flow depends on something besides its inputs and the results it awaited."""

    code = "nondeterministic"
    kind = "USER"


class IllegalTransitionError(SlipstreamError, RuntimeError):
    """A state machine was asked for a transition its declaration forbids."""

    code = "illegal_transition"


class StorageError(SlipstreamError, OSError):
    """A blob could not be read or written."""

    code = "storage_error"


class StoreFullError(StorageError):
    """The blob store has no room left (no space on its disk, or over a quota): another attempt
    would only write the same bytes again, so it is not retried."""

    code = "store_full"


class NotFoundError(SlipstreamError, KeyError):
    """An entity, execution or blob does not exist."""

    code = "not_found"
    kind = "USER"

    def __str__(self) -> str:  # KeyError quotes its argument; keep the plain message
        return self.message


class ConflictError(SlipstreamError, ValueError):
    """An immutable entity was registered again with different content."""

    code = "conflict"
    kind = "USER"


class ConfigError(SlipstreamError, ValueError):
    """Bad configuration or settings."""

    code = "config_error"
    kind = "USER"


class ValidationError(SlipstreamError, ValueError):
    """A request, spec or setting that breaks a rule: a malformed field, resources above the maximum."""

    code = "invalid_request"
    kind = "USER"


class TooLargeError(ValidationError):
    """A request body (JSON or a code bundle) is larger than the server accepts."""

    code = "too_large"


class UnsupportedMediaTypeError(ValidationError):
    """A request body whose content type the endpoint does not take (JSON endpoints take JSON)."""

    code = "unsupported_media_type"


class AuthenticationError(SlipstreamError, PermissionError):
    """A request came without a valid token: none, unknown, revoked or expired."""

    code = "unauthenticated"
    kind = "USER"


class PermissionDeniedError(SlipstreamError, PermissionError):
    """The caller is known, but no role they hold allows the action."""

    code = "forbidden"
    kind = "USER"


class AlreadyRunningError(SlipstreamError, RuntimeError):
    """A second server was started on a home another running server holds."""

    code = "already_running"
    kind = "USER"


class RemoteError(SlipstreamError, ConnectionError):
    """The server could not be reached, or answered something that is not the slipstream API."""

    code = "remote_error"
