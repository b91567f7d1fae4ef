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

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import ClassVar

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
    "CODES",
    "CodeInfo",
    "ErrorKind",
    "FailureCode",
    "Retry",
    "code_info",
    "http_status",
    "retry_rule",
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


class ErrorKind(enum.StrEnum):
    """Whose fault a failure is; the retry policy is driven by it.

    ``USER`` (the task's own exception) and ``TIMEOUT`` spend the task's ``retries``; ``SYSTEM`` (a
    worker that died, a lost lease, an engine host that restarted) spends the platform's budget;
    ``OOM`` (killed for memory) runs again with more memory, up to a cap (``OomRetry``); ``ABORTED``
    is never retried.
    """

    USER = "USER"
    SYSTEM = "SYSTEM"
    OOM = "OOM"
    TIMEOUT = "TIMEOUT"
    ABORTED = "ABORTED"


class FailureCode(enum.StrEnum):
    """Every failure code slipstream writes: an error's ``code``, a recorded ``ErrorInfo.code``.

    The values are the wire format (stored records and API bodies hold these strings); each has
    its entry in :data:`CODES`.
    """

    # errors raised on purpose (the classes below)
    SLIPSTREAM_ERROR = "slipstream_error"
    COMPILE_ERROR = "compile_error"
    TYPE_MISMATCH = "type_mismatch"
    TYPE_TRANSFORMER = "type_transformer"
    BAD_INPUT = "bad_input"
    USER_ERROR = "user_error"
    TIMEOUT = "timeout"
    OUT_OF_MEMORY = "out_of_memory"
    UNSCHEDULABLE = "unschedulable"
    WORKER_LOST = "worker_lost"
    UNSENDABLE_INPUT = "unsendable_input"
    ENVIRONMENT_BUILD_FAILED = "environment_build_failed"
    CONNECTOR_ERROR = "connector_error"
    WAIT_TIMEOUT = "wait_timeout"
    EXECUTION_FAILED = "execution_failed"
    BRANCH_FAILED = "branch_failed"
    EAGER_CALL_FAILED = "eager_call_failed"
    NONDETERMINISTIC = "nondeterministic"
    ILLEGAL_TRANSITION = "illegal_transition"
    STORAGE_ERROR = "storage_error"
    STORE_FULL = "store_full"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    CONFIG_ERROR = "config_error"
    INVALID_REQUEST = "invalid_request"
    TOO_LARGE = "too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    ALREADY_RUNNING = "already_running"
    REMOTE_ERROR = "remote_error"
    LOAD_ERROR = "load_error"
    MISSING_EXTRA = "missing_extra"
    # failures the engine, the runners and the engine host record
    FAILED = "failed"
    ABORTED = "aborted"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"
    ENGINE_ERROR = "engine_error"
    INTERNAL_ERROR = "internal_error"
    STALLED = "stalled"
    BINDING_ERROR = "binding_error"
    ATTEMPT_LOST = "attempt_lost"
    BAD_RESULT = "bad_result"
    UNRECORDABLE = "unrecordable"
    UNKNOWN_NODE = "unknown_node"
    GATE_FAILED = "gate_failed"
    GATE_TIMEOUT = "gate_timeout"
    REJECTED = "rejected"
    MAP_LENGTH_MISMATCH = "map_length_mismatch"
    MAP_FAILED = "map_failed"
    CHILD_START_FAILED = "child_start_failed"
    CHILD_FAILED = "child_failed"
    CONDITION_ERROR = "condition_error"
    NO_BRANCH = "no_branch"


class Retry(enum.StrEnum):
    """What another attempt does for a failure of a code.

    ``BY_KIND``: it spends the budget of the failure's kind (see :class:`ErrorKind`); ``NEVER``:
    another attempt cannot fix it (a store without room, a task asking more than the machine has);
    ``FREE``: it always runs again and spends no budget (an engine host's routine restart).
    """

    BY_KIND = "by_kind"
    NEVER = "never"
    FREE = "free"


@dataclass(frozen=True, slots=True)
class CodeInfo:
    """One code's entry in :data:`CODES`: the kind it is recorded with (a writer may carry a
    cause's kind instead: a failed child, a map's first failed item, a timed-out user error), how
    it retries, and the HTTP status of an API or console answer that carries it."""

    kind: ErrorKind
    retry: Retry
    http_status: int


def _entry(kind: ErrorKind, status: int | None = None, retry: Retry = Retry.BY_KIND) -> CodeInfo:
    if status is None:
        status = 400 if kind is ErrorKind.USER else 500
    return CodeInfo(kind, retry, status)


_U, _S = ErrorKind.USER, ErrorKind.SYSTEM
_F = FailureCode
CODES: Mapping[FailureCode, CodeInfo] = MappingProxyType(
    {
        _F.SLIPSTREAM_ERROR: _entry(_S),
        _F.COMPILE_ERROR: _entry(_U),
        _F.TYPE_MISMATCH: _entry(_U),
        _F.TYPE_TRANSFORMER: _entry(_U),
        _F.BAD_INPUT: _entry(_U),
        _F.USER_ERROR: _entry(_U),
        _F.TIMEOUT: _entry(_U),
        _F.OUT_OF_MEMORY: _entry(_S),
        _F.UNSCHEDULABLE: _entry(_U, retry=Retry.NEVER),
        _F.WORKER_LOST: _entry(_S),
        _F.UNSENDABLE_INPUT: _entry(_S),
        _F.ENVIRONMENT_BUILD_FAILED: _entry(_U),
        _F.CONNECTOR_ERROR: _entry(_S),
        _F.WAIT_TIMEOUT: _entry(_U),
        _F.EXECUTION_FAILED: _entry(_U),
        _F.BRANCH_FAILED: _entry(_U),
        _F.EAGER_CALL_FAILED: _entry(_U),
        _F.NONDETERMINISTIC: _entry(_U),
        _F.ILLEGAL_TRANSITION: _entry(_S, 409),
        _F.STORAGE_ERROR: _entry(_S, 503),
        _F.STORE_FULL: _entry(_S, retry=Retry.NEVER),
        _F.NOT_FOUND: _entry(_U, 404),
        _F.CONFLICT: _entry(_U, 409),
        _F.CONFIG_ERROR: _entry(_U),
        _F.INVALID_REQUEST: _entry(_U),
        _F.TOO_LARGE: _entry(_U, 413),
        _F.UNSUPPORTED_MEDIA_TYPE: _entry(_U, 415),
        _F.UNAUTHENTICATED: _entry(_U, 401),
        _F.FORBIDDEN: _entry(_U, 403),
        _F.ALREADY_RUNNING: _entry(_U, 409),
        _F.REMOTE_ERROR: _entry(_S),
        _F.LOAD_ERROR: _entry(_U),
        _F.MISSING_EXTRA: _entry(_U),
        _F.FAILED: _entry(_U),
        _F.ABORTED: _entry(ErrorKind.ABORTED, 409),
        _F.CANCELLED: _entry(_U),
        _F.INTERRUPTED: _entry(_S, retry=Retry.FREE),
        _F.ENGINE_ERROR: _entry(_S),
        _F.INTERNAL_ERROR: _entry(_S),
        _F.STALLED: _entry(_S),
        _F.BINDING_ERROR: _entry(_S),
        _F.ATTEMPT_LOST: _entry(_S),
        _F.BAD_RESULT: _entry(_U),
        _F.UNRECORDABLE: _entry(_S),
        _F.UNKNOWN_NODE: _entry(_S),
        _F.GATE_FAILED: _entry(_U),
        _F.GATE_TIMEOUT: _entry(_U),
        _F.REJECTED: _entry(_U),
        _F.MAP_LENGTH_MISMATCH: _entry(_U),
        _F.MAP_FAILED: _entry(_U),
        _F.CHILD_START_FAILED: _entry(_S),
        _F.CHILD_FAILED: _entry(_U),
        _F.CONDITION_ERROR: _entry(_U),
        _F.NO_BRANCH: _entry(_U),
    }
)
"""The catalogue of failure codes: each code's kind, retry rule and HTTP status."""
del _U, _S, _F


def code_info(code: str) -> CodeInfo | None:
    """The catalogue's entry of ``code`` (None for a code it does not hold: an extra's own)."""
    try:
        return CODES[FailureCode(code)]
    except ValueError:
        return None


def retry_rule(code: str) -> Retry:
    """How a failure of ``code`` retries (a code outside the catalogue retries by its kind)."""
    info = code_info(code)
    return Retry.BY_KIND if info is None else info.retry


def http_status(code: str, kind: str = ErrorKind.USER) -> int:
    """The HTTP status of an answer carrying an error of ``code``: the catalogue's, else 400 for
    the user's fault and 500 for the system's."""
    info = code_info(code)
    if info is not None:
        return info.http_status
    return 400 if kind == ErrorKind.USER else 500


class SlipstreamError(Exception):
    """Root of every error slipstream raises on purpose."""

    code: ClassVar[str] = FailureCode.SLIPSTREAM_ERROR
    kind: ClassVar[ErrorKind] = ErrorKind.SYSTEM

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

    code = FailureCode.COMPILE_ERROR
    kind = ErrorKind.USER

    def __init__(
        self, message: str, *, location: str | None = None, details: object | None = None
    ) -> None:
        self.location = location
        if location and location not in message:
            message = f"{message}\n  at {location}"
        super().__init__(message, details=details)


class LiteralTypeError(SlipstreamError, TypeError):
    """A value does not match the declared type of an input or output."""

    code = FailureCode.TYPE_MISMATCH
    kind = ErrorKind.USER


class TypeTransformerError(SlipstreamError, TypeError):
    """No transformer handles a Python type, or a transformer failed."""

    code = FailureCode.TYPE_TRANSFORMER
    kind = ErrorKind.USER


class InputError(SlipstreamError, TypeError):
    """A missing, unknown or unparsable input to a task, workflow or launch plan."""

    code = FailureCode.BAD_INPUT
    kind = ErrorKind.USER


class UserTaskError(SlipstreamError):
    """The user's task code raised. ``original`` is the exception, ``node`` where it happened."""

    code = FailureCode.USER_ERROR
    kind = ErrorKind.USER

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

    code = FailureCode.TIMEOUT
    kind = ErrorKind.USER


class TaskOutOfMemoryError(SlipstreamError, MemoryError):
    """An attempt's worker went over the task's memory limit and the attempt was stopped.

    Recorded with the error kind ``OOM``: the attempt runs again with more memory, up to a cap,
    spending neither the task's retries nor the platform's budget.
    """

    code = FailureCode.OUT_OF_MEMORY
    kind = ErrorKind.SYSTEM


class UnschedulableError(SlipstreamError, ValueError):
    """An attempt asks more CPU, memory or GPUs than the whole machine (or cluster) has."""

    code = FailureCode.UNSCHEDULABLE
    kind = ErrorKind.USER


class WorkerLostError(SlipstreamError):
    """The worker process running an attempt died under it (killed, crashed, out of memory)."""

    code = FailureCode.WORKER_LOST
    kind = ErrorKind.SYSTEM


class UnsendableError(SlipstreamError, ValueError):
    """An attempt's values cannot be encoded for a worker (an int past 64 bits, say): that
    attempt fails, and nothing else."""

    code = FailureCode.UNSENDABLE_INPUT
    kind = ErrorKind.SYSTEM


class EnvironmentBuildError(SlipstreamError, RuntimeError):
    """A task's environment (its ``ImageSpec``) cannot be built or used by this runner: the
    resolver failed (its own message is kept), or the spec asks for what only an image build gives
    (``apt_packages``, ``base_image``)."""

    code = FailureCode.ENVIRONMENT_BUILD_FAILED
    kind = ErrorKind.USER


class ConnectorError(SlipstreamError, RuntimeError):
    """A connector's service refused a job, lost it, or could not be asked (a job that the service
    itself ran and failed is recorded with kind ``USER``). The message names the service."""

    code = FailureCode.CONNECTOR_ERROR
    kind = ErrorKind.SYSTEM


class WaitTimeoutError(SlipstreamError, TimeoutError):
    """A client waited for an execution to end longer than its timeout (the execution goes on)."""

    code = FailureCode.WAIT_TIMEOUT
    kind = ErrorKind.USER


class ExecutionFailedError(SlipstreamError):
    """An execution ended in a failed phase; ``node`` and ``error`` say where and why."""

    code = FailureCode.EXECUTION_FAILED
    kind = ErrorKind.USER

    def __init__(
        self, message: str, *, node: str | None = None, error: object | None = None
    ) -> None:
        super().__init__(message, details=error)
        self.node = node
        self.error = error


class BranchFailedError(ExecutionFailedError, ValueError):
    """A conditional ran its ``else_().fail(message)`` case (flytekit raises a ``ValueError``)."""

    code = FailureCode.BRANCH_FAILED
    kind = ErrorKind.USER


class EagerException(SlipstreamError):
    """A call awaited by an eager workflow failed; the body sees it where it awaited the call.

    ``node`` is the call's node path (``n0/e3``), ``error`` its recorded error and ``cause`` the
    task's own exception when it could be carried back (also set as ``__cause__``).
    """

    code = FailureCode.EAGER_CALL_FAILED
    kind = ErrorKind.USER

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

    code = FailureCode.NONDETERMINISTIC
    kind = ErrorKind.USER


class IllegalTransitionError(SlipstreamError, RuntimeError):
    """A state machine was asked for a transition its declaration forbids."""

    code = FailureCode.ILLEGAL_TRANSITION


class StorageError(SlipstreamError, OSError):
    """A blob could not be read or written."""

    code = FailureCode.STORAGE_ERROR


class StoreFullError(StorageError):
    """The blob store has no room left (no space on its disk, or over a quota): another attempt
    would only write the same bytes again, so it is not retried."""

    code = FailureCode.STORE_FULL


class NotFoundError(SlipstreamError, KeyError):
    """An entity, execution or blob does not exist."""

    code = FailureCode.NOT_FOUND
    kind = ErrorKind.USER

    def __str__(self) -> str:  # KeyError quotes its argument; keep the plain message
        return self.message


class ConflictError(SlipstreamError, ValueError):
    """An immutable entity was registered again with different content."""

    code = FailureCode.CONFLICT
    kind = ErrorKind.USER


class ConfigError(SlipstreamError, ValueError):
    """Bad configuration or settings."""

    code = FailureCode.CONFIG_ERROR
    kind = ErrorKind.USER


class ValidationError(SlipstreamError, ValueError):
    """A request, spec or setting that breaks a rule: a malformed field, resources above the maximum."""

    code = FailureCode.INVALID_REQUEST
    kind = ErrorKind.USER


class TooLargeError(ValidationError):
    """A request body (JSON or a code bundle) is larger than the server accepts."""

    code = FailureCode.TOO_LARGE


class UnsupportedMediaTypeError(ValidationError):
    """A request body whose content type the endpoint does not take (JSON endpoints take JSON)."""

    code = FailureCode.UNSUPPORTED_MEDIA_TYPE


class AuthenticationError(SlipstreamError, PermissionError):
    """A request came without a valid token: none, unknown, revoked or expired."""

    code = FailureCode.UNAUTHENTICATED
    kind = ErrorKind.USER


class PermissionDeniedError(SlipstreamError, PermissionError):
    """The caller is known, but no role they hold allows the action."""

    code = FailureCode.FORBIDDEN
    kind = ErrorKind.USER


class AlreadyRunningError(SlipstreamError, RuntimeError):
    """A second server was started on a home another running server holds."""

    code = FailureCode.ALREADY_RUNNING
    kind = ErrorKind.USER


class RemoteError(SlipstreamError, ConnectionError):
    """The server could not be reached, or answered something that is not the slipstream API."""

    code = FailureCode.REMOTE_ERROR
