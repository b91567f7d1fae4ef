"""Executions from the client: launch, follow, read values and logs, abort, relaunch, recover,
signal. Mixed into :class:`~slipstream.remote.Remote` (FlyteRemote's method names where they fit).

Python values become literals with the codecs of the entity's Python interface when a local SDK
object is given, else with codecs of Python types guessed from the registered literal types; the
same goes for reading inputs and outputs back. Local files, directories and DataFrames given as
inputs are uploaded to the server's blob store on the way (``_uploads.UploadContext``). Text given for a signal goes through the one typed
text parser (``slipstream.types.parse_text``).
"""

from __future__ import annotations

import getpass
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Union

from slipstream.errors import InputError, LiteralTypeError, NotFoundError, WaitTimeoutError
from slipstream.model import (
    AbortRequest,
    AttemptRecord,
    CompiledWorkflow,
    ExecutionCreate,
    ExecutionEvent,
    ExecutionId,
    ExecutionRecord,
    ExecutionValues,
    Identifier,
    Interface,
    Kind,
    LaunchPlanSpec,
    LiteralType,
    LogChunk,
    NodeRecord,
    Page,
    Registered,
    RelaunchRequest,
    ResourceType,
    SignalInfo,
    SignalSend,
    TaskTemplate,
    literal_problem,
)

from ._console import console_url
from ._uploads import UploadContext

if TYPE_CHECKING:
    from slipstream.types import TypeContext

    from ._http import Http

__all__ = ["ExecutionRef", "RemoteExecutions", "decode_literal"]

ExecutionRef = Union[ExecutionRecord, ExecutionId, str]
"""An execution: its record, its id, or its name in the default project and domain."""


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


class RemoteExecutions:
    """The execution methods of :class:`~slipstream.remote.Remote`."""

    _http: Http
    endpoint: str
    default_domain: str

    def _scope(self, project: str | None, domain: str | None) -> tuple[str, str]:
        raise NotImplementedError  # provided by Remote

    def _all(self, path: str, tp: Any, limit: int | None, **params: Any) -> list[Any]:
        raise NotImplementedError  # provided by Remote

    # -- addressing ---------------------------------------------------------------------------

    def _eid(
        self, execution: ExecutionRef, project: str | None = None, domain: str | None = None
    ) -> ExecutionId:
        if isinstance(execution, ExecutionRecord):
            return execution.id
        if isinstance(execution, ExecutionId):
            return execution
        p, d = self._scope(project, domain)
        return ExecutionId(p, d, execution)

    def _path(self, execution: ExecutionRef, suffix: str = "", **scope: Any) -> str:
        e = self._eid(execution, **scope)
        return f"/executions/{e.project}/{e.domain}/{e.name}{suffix}"

    def console_url(self, execution: ExecutionRef) -> str:
        """The console page of ``execution`` (FlyteRemote's ``generate_console_url`` scheme)."""
        return console_url(self.endpoint, self._eid(execution))

    # -- launching ----------------------------------------------------------------------------

    def execute(
        self,
        entity: Any,
        inputs: dict[str, Any] | None = None,
        *,
        wait: bool = False,
        name: str | None = None,
        version: str | None = None,
        project: str | None = None,
        domain: str | None = None,
        labels: dict[str, str] | None = None,
        annotations: dict[str, str] | None = None,
        max_parallelism: int | None = None,
        timeout: float | None = None,
        poll_interval: float = 1.0,
        literals: dict[str, Any] | None = None,
        type_hints: dict[str, Any] | None = None,
        cluster: str | None = None,
    ) -> ExecutionRecord:
        """Start an execution of ``entity`` with Python ``inputs``; with ``wait``, follow it to
        its end (see :meth:`wait`). ``cluster`` runs it on that compute cluster alone (instead
        of the route its settings give).

        ``entity`` is a local task, workflow or launch plan (registered already: by its name and
        ``version``, the newest by default), a registered spec (``TaskTemplate``,
        ``CompiledWorkflow``, ``LaunchPlanSpec`` or ``Registered``), or the name of a registered
        launch plan, workflow or task (looked up in that order). ``literals`` are inputs encoded
        already (as ``slipstream.types.parse_text`` makes them from the declared literal types):
        sent as they are, and checked by the server like every input. ``type_hints`` (input name
        to Python type) encode inputs of a registered entity by those types instead of types
        guessed from its literal types.
        """
        p, d = self._scope(project, domain)
        with UploadContext(self._http, p, d) as ctx:
            target, encoded = self._target_and_literals(
                entity, dict(inputs or {}), version, p, d, ctx, type_hints or {}
            )
        body = ExecutionCreate(
            target=target,
            inputs={**encoded, **(literals or {})},
            name=name or "",
            labels=labels or {},
            annotations=annotations or {},
            max_parallelism=max_parallelism,
            launched_by=_user(),
            cluster=cluster or "",
        )
        record = self._http.send("POST", "/executions", body, ExecutionRecord)
        if wait:
            return self.wait(record, timeout=timeout, poll_interval=poll_interval)
        return record

    def _target_and_literals(
        self,
        entity: Any,
        inputs: dict[str, Any],
        version: str | None,
        project: str,
        domain: str,
        ctx: TypeContext,
        hints: dict[str, Any],
    ) -> tuple[Identifier, dict[str, Any]]:
        local = _local_kind(entity)
        if local is not None:
            target = Identifier(local, entity.name, project, domain, version or "latest")
            return target, _local_literals(entity, inputs, ctx)
        if isinstance(entity, Registered):
            entity = entity.spec
        if isinstance(entity, (TaskTemplate, CompiledWorkflow, LaunchPlanSpec)):
            i = entity.workflow.id if isinstance(entity, CompiledWorkflow) else entity.id
            target = Identifier(
                i.resource_type,
                i.name,
                i.project or project,
                i.domain or domain,
                version or i.version or "latest",
            )
            if not inputs:  # a launch plan's interface is its workflow's: no fetch for nothing
                return target, {}
            iface = self._interface_of(entity, target)
            return target, _guessed_literals(target.name, iface, inputs, ctx, hints)
        if isinstance(entity, str):
            return self._named(entity, inputs, version, project, domain, ctx, hints)
        raise InputError(
            f"cannot execute {entity!r}: give a task, workflow or launch plan (local or "
            "registered) or the name of a registered one"
        )

    def _named(
        self,
        name: str,
        inputs: dict[str, Any],
        version: str | None,
        project: str,
        domain: str,
        ctx: TypeContext,
        hints: dict[str, Any],
    ) -> tuple[Identifier, dict[str, Any]]:
        for rt in (ResourceType.LAUNCH_PLAN, ResourceType.WORKFLOW, ResourceType.TASK):
            try:
                found = self.fetch(rt, name, version, project=project, domain=domain)  # type: ignore[attr-defined]
            except NotFoundError:
                continue
            target = Identifier(rt, name, project, domain, found.id.version)
            iface = self._interface_of(found.spec, target)
            return target, _guessed_literals(name, iface, inputs, ctx, hints)
        at = f"@{version}" if version else ""
        raise NotFoundError(
            f"no launch plan, workflow or task named {name}{at} is registered in {project}/{domain}"
        )

    def _interface_of(self, spec: Any, target: Identifier) -> Interface:
        if isinstance(spec, TaskTemplate):
            return spec.interface
        if isinstance(spec, CompiledWorkflow):
            return spec.workflow.interface
        lp: LaunchPlanSpec = spec
        wf = self.fetch_workflow(  # type: ignore[attr-defined]
            lp.workflow.name,
            lp.workflow.version or None,
            project=target.project,
            domain=target.domain,
        )
        iface: Interface = wf.workflow.interface
        return iface

    def wait(
        self,
        execution: ExecutionRef,
        *,
        timeout: float | None = None,
        poll_interval: float = 1.0,
    ) -> ExecutionRecord:
        """Poll the execution until it has ended and return its final record; past ``timeout``
        seconds, raise :class:`~slipstream.errors.WaitTimeoutError` (the execution goes on)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            record = self.fetch_execution(execution)
            if record.phase.terminal:
                return record
            if deadline is not None and time.monotonic() >= deadline:
                raise WaitTimeoutError(
                    f"execution {record.id} is still {record.phase.value} after {timeout:g} s "
                    "of waiting (it goes on running; wait again or terminate it)",
                    details={"execution": str(record.id), "phase": record.phase.value},
                )
            pause = poll_interval
            if deadline is not None:
                pause = max(0.0, min(pause, deadline - time.monotonic()))
            time.sleep(pause)

    # -- reading ------------------------------------------------------------------------------

    def fetch_execution(
        self, execution: ExecutionRef, *, project: str | None = None, domain: str | None = None
    ) -> ExecutionRecord:
        """The execution's current record."""
        return self._http.get(
            self._path(execution, project=project, domain=domain), ExecutionRecord
        )

    def recent_executions(
        self,
        project: str | None = None,
        domain: str | None = None,
        *,
        phase: str | None = None,
        workflow: str | None = None,
        limit: int | None = 100,
    ) -> list[ExecutionRecord]:
        """Executions of the project/domain, newest first, optionally in one phase or of one
        workflow (or task) name."""
        p, d = self._scope(project, domain)
        return self._all(
            f"/executions/{p}/{d}", Page[ExecutionRecord], limit, phase=phase, workflow=workflow
        )

    def node_executions(
        self, execution: ExecutionRef, parent: str | None = None, *, deep: bool = False
    ) -> list[NodeRecord]:
        """Node executions in the order they were recorded: the top level, or the children of
        ``parent`` (every descendant with ``deep``)."""
        return self._all(
            self._path(execution, "/nodes"),
            Page[NodeRecord],
            None,
            parent=parent,
            deep="true" if deep else None,
            order="asc",
        )

    def attempts(self, execution: ExecutionRef, node: str) -> list[AttemptRecord]:
        """The attempts of a task node (or map item ``n4[17]``), first to last."""
        return self._http.get(self._path(execution, f"/nodes/{node}/attempts"), list[AttemptRecord])

    def events(self, execution: ExecutionRef) -> list[ExecutionEvent]:
        """The execution's event log, oldest first."""
        return self._all(self._path(execution, "/events"), Page[ExecutionEvent], None, order="asc")

    def outputs(self, execution: ExecutionRef, entity: Any = None) -> dict[str, Any]:
        """The outputs of a SUCCEEDED execution as Python values (typed by ``entity``'s Python
        interface when given, else by types guessed from the literal types)."""
        return _to_python(self.values(execution, "outputs"), entity, outputs=True)

    def inputs(self, execution: ExecutionRef, entity: Any = None) -> dict[str, Any]:
        """The inputs the execution runs with, as Python values (see :meth:`outputs`)."""
        return _to_python(self.values(execution, "inputs"), entity, outputs=False)

    def values(self, execution: ExecutionRef, which: str = "outputs") -> ExecutionValues:
        """The execution's ``inputs`` or ``outputs`` as literals with their literal types, for
        callers that decode them one by one (:func:`decode_literal`)."""
        if which not in ("inputs", "outputs"):
            raise InputError(f"which must be 'inputs' or 'outputs', not {which!r}")
        return self._http.get(self._path(execution, f"/{which}"), ExecutionValues)

    def logs(
        self,
        execution: ExecutionRef,
        node: str,
        attempt: int | None = None,
        *,
        follow: bool = False,
        poll_interval: float = 0.5,
    ) -> Iterator[str]:
        """The text of an attempt's log (the last attempt by default), chunk by chunk; with
        ``follow``, keep reading while the attempt runs until its log is complete."""
        path = self._path(execution, f"/nodes/{node}/logs")
        offset = 0
        while True:
            try:
                chunk = self._http.get(path, LogChunk, attempt=attempt, offset=offset)
            except NotFoundError:
                # following a node that has not started an attempt yet: wait for it, unless the
                # execution ended without running it
                if not follow or self.fetch_execution(execution).phase.terminal:
                    raise
                time.sleep(poll_interval)
                continue
            if chunk.data:
                yield chunk.data
            offset = chunk.next_offset
            if attempt is None:
                attempt = chunk.attempt  # stay on the attempt being followed
            if chunk.complete or (not follow and chunk.next_offset >= chunk.size):
                return
            if chunk.next_offset >= chunk.size:
                time.sleep(poll_interval)

    def deck(self, execution: ExecutionRef, node: str, attempt: int | None = None) -> str:
        """The HTML page of the decks an attempt made (the last attempt by default); a node whose
        attempt made no deck is a ``NotFoundError`` that says so."""
        path = self._path(execution, f"/nodes/{node}/deck")
        return self._http.request("GET", path, params={"attempt": attempt}).text

    # -- acting -------------------------------------------------------------------------------

    def terminate(self, execution: ExecutionRef, cause: str = "") -> ExecutionRecord:
        """Abort the execution: a queued one ends ABORTED at once, a running one goes ABORTING
        until the engine host has stopped it."""
        body = AbortRequest(cause=cause, aborted_by=_user())
        return self._http.send("POST", self._path(execution, "/abort"), body, ExecutionRecord)

    def relaunch(
        self,
        execution: ExecutionRef,
        *,
        name: str | None = None,
        wait: bool = False,
        timeout: float | None = None,
        poll_interval: float = 1.0,
    ) -> ExecutionRecord:
        """A new execution of the same target with the same inputs."""
        return self._again("/relaunch", execution, name, wait, timeout, poll_interval)

    def recover(
        self,
        execution: ExecutionRef,
        *,
        name: str | None = None,
        wait: bool = False,
        timeout: float | None = None,
        poll_interval: float = 1.0,
    ) -> ExecutionRecord:
        """A new execution of a FAILED, ABORTED or TIMED_OUT one that reuses the outputs of every
        node that succeeded in it."""
        return self._again("/recover", execution, name, wait, timeout, poll_interval)

    def _again(
        self,
        suffix: str,
        execution: ExecutionRef,
        name: str | None,
        wait: bool,
        timeout: float | None,
        poll_interval: float,
    ) -> ExecutionRecord:
        body = RelaunchRequest(name=name or "", launched_by=_user())
        record = self._http.send("POST", self._path(execution, suffix), body, ExecutionRecord)
        if wait:
            return self.wait(record, timeout=timeout, poll_interval=poll_interval)
        return record

    def list_signals(self, execution: ExecutionRef) -> list[SignalInfo]:
        """The gates of the execution that wait for a signal, with the values sent."""
        return self._http.get(self._path(execution, "/signals"), list[SignalInfo])

    def signal(self, execution: ExecutionRef, name: str, value: Any) -> SignalInfo:
        """Send ``value`` to the gate ``name`` (``True``/``False`` approves or rejects an
        ``approve`` gate). Text is parsed by the gate's declared type, as the CLI parses inputs."""
        gates = {g.name: g for g in self.list_signals(execution)}
        gate = gates.get(name)
        if gate is None:
            known = ", ".join(sorted(gates)) or "none"
            raise NotFoundError(
                f"execution {self._eid(execution)} has no gate waiting for a signal named "
                f"{name!r} (its signals: {known})"
            )
        literal = _signal_literal(name, value, gate.type)
        body = SignalSend(name=name, value=literal, sent_by=_user())
        return self._http.send("POST", self._path(execution, "/signals"), body, SignalInfo)


def _local_kind(entity: Any) -> ResourceType | None:
    from slipstream.sdk import LaunchPlan, PythonTask, WorkflowBase

    if isinstance(entity, PythonTask):
        return ResourceType.TASK
    if isinstance(entity, WorkflowBase):
        return ResourceType.WORKFLOW
    if isinstance(entity, LaunchPlan):
        return ResourceType.LAUNCH_PLAN
    return None


def _local_literals(entity: Any, inputs: dict[str, Any], ctx: TypeContext) -> dict[str, Any]:
    """Python inputs as literals, by the local entity's own codecs (defaults left to the
    server, which knows the registered launch plan's)."""
    iface = entity.python_interface
    out: dict[str, Any] = {}
    for key, value in inputs.items():
        var = iface.input(key)
        if var is None:
            names = ", ".join(v.name for v in iface.inputs) or "none"
            raise InputError(f"{entity.name}: unknown input {key!r} (its inputs: {names})")
        out[key] = _encode(entity.name, key, var.codec, value, ctx)
    return out


def _guessed_literals(
    name: str,
    iface: Interface,
    inputs: dict[str, Any],
    ctx: TypeContext,
    hints: dict[str, Any] | None = None,
) -> dict[str, Any]:
    from slipstream.types import default_engine, guess_python_type

    out: dict[str, Any] = {}
    for key, value in inputs.items():
        var = iface.input(key)
        if var is None:
            names = ", ".join(v.name for v in iface.inputs) or "none"
            raise InputError(f"{name}: unknown input {key!r} (its inputs: {names})")
        hint = (hints or {}).get(key)
        codec = default_engine().codec(guess_python_type(var.type) if hint is None else hint)
        out[key] = _encode(name, key, codec, value, ctx)
    return out


def _encode(entity: str, key: str, codec: Any, value: Any, ctx: TypeContext) -> Any:
    """One input as a literal; a local file or a DataFrame is uploaded through ``ctx`` (the
    server's upload location is only asked for when some value is written there). The literal
    is checked by the validator the server checks launches with, so that a value it would refuse
    (an integer past 64 bits) is refused here with the same message, before it is sent."""
    t = codec.literal_type
    try:
        literal = codec.to_literal(value, ctx if codec.needs_context else None)
    except (LiteralTypeError, TypeError, ValueError, AttributeError) as e:
        raise InputError(f"{entity}: input {key!r} of type {t}: {e}") from None
    problem = literal_problem(literal, t)
    if problem is not None:
        raise InputError(
            f"{entity}: input {key!r} of type {t}: {problem}",
            details={"input": key, "type": str(t), "problem": problem},
        )
    return literal


def _to_python(values: ExecutionValues, entity: Any, *, outputs: bool) -> dict[str, Any]:
    codecs: dict[str, Any] = {}
    if entity is not None:
        iface = entity.python_interface
        for var in iface.outputs if outputs else iface.inputs:
            codecs[var.name] = var.codec
    return {
        key: decode_literal(literal, values.types.get(key), codecs.get(key))
        for key, literal in values.values.items()
    }


def decode_literal(
    literal: Any, literal_type: LiteralType | None, codec: Any = None, python_type: Any = None
) -> Any:
    """One literal as a Python value: by ``codec``, else by the codec of ``python_type``, else by
    the codec of a Python type guessed from ``literal_type``."""
    from slipstream.types import default_engine, guess_python_type

    if codec is None:
        if python_type is None:
            python_type = guess_python_type(literal_type or LiteralType(Kind.ANY))
        codec = default_engine().codec(python_type)
    return codec.to_python(literal, None)


def _signal_literal(name: str, value: Any, t: LiteralType) -> Any:
    from slipstream.types import BadValue, default_engine, guess_python_type, parse_text

    if isinstance(value, str) and t.kind is not Kind.STR:
        try:
            return parse_text(value, t)
        except BadValue as e:
            raise InputError(f"signal {name!r} of type {t}: {e}") from None
    codec = default_engine().codec(guess_python_type(t))
    try:
        return codec.to_literal(value, None)
    except (LiteralTypeError, TypeError, ValueError) as e:
        raise InputError(f"signal {name!r} of type {t}: {e}") from None
