"""Turning a claimed ``executions`` row into an executor: spec, code, inputs, and what to replay.

The workflow (or task) comes from the registered entity the execution names, its code from the
entity's bundle, unpacked once per host under ``{home}/bundles/{digest}`` (the workers' code root
for every attempt of that version). An execution that was already running (its previous host died,
or this one restarted) resumes from its records; a ``recover`` execution adopts the succeeded nodes
of its source.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from msgspec.structs import replace as replace_struct

from slipstream.engine import (
    ChildExecutions,
    Executor,
    Replay,
    RetryPolicy,
    SignalSource,
    task_closure,
)
from slipstream.model import (
    CompiledWorkflow,
    ExecutionPhase,
    ExecutionRecord,
    Identifier,
    NodePhase,
    TaskTemplate,
    decode,
)
from slipstream.storage import DataLayout, open_store

from .._plane_wire import Claimed
from ._catalog import DbCatalog
from ._dispatch import Dispatch
from ._moved import UNREADABLE_EVENT, unreadable_outputs
from ._offload import load_outputs
from ._plane import ControlPlane
from ._store import DbStateStore

__all__ = ["Loaded", "load_execution"]


@dataclass
class Loaded:
    """An execution this host drives: its row id, executor and buffered store."""

    pk: int
    executor: Executor
    store: DbStateStore
    resumed: bool


def load_execution(
    plane: ControlPlane,
    claimed: Claimed,
    *,
    dispatch: Dispatch,
    catalog: DbCatalog,
    signals: SignalSource,
    store_url: str,
    home: Path,
    retry_policy: RetryPolicy,
    programs: dict[Identifier, tuple[CompiledWorkflow, str]] | None = None,
    children: ChildExecutions | None = None,
) -> Loaded:
    """Build the executor of execution ``claimed`` (claimed by this host).

    ``programs`` remembers, by target, the decoded closure and unpacked code root: registered
    versions are immutable, so many executions of one version load it once.
    """
    pk = claimed.pk
    record = decode(claimed.record, ExecutionRecord)
    if claimed.oom is not None:  # the project's (or domain's) own growth of memory on retry
        retry_policy = replace(retry_policy, oom=claimed.oom)
    target = record.spec.target
    program = programs.get(target) if programs is not None else None
    if program is None:
        found = plane.program(target)
        if found.kind == "task":
            closure = task_closure(decode(found.spec, TaskTemplate))
        else:
            closure = decode(found.spec, CompiledWorkflow)
        code_root = unpack_bundle(plane.bundle, found.bundle, home) if found.bundle else ""
        program = (closure, code_root)
        if programs is not None:
            if len(programs) >= 256:
                programs.pop(next(iter(programs)))
            programs[target] = program
    closure, code_root = program
    if record.cluster != plane.cluster:  # where it runs (now): shown by describe and the console
        record = replace_struct(record, cluster=plane.cluster)
    store = DbStateStore(plane.stored, pk, record.id, store_url, cluster=plane.cluster)
    resumed = record.phase is not ExecutionPhase.QUEUED
    replay = _replay(plane, store, record, resumed, store_url)
    spec = record.spec
    executor = Executor(
        execution_id=record.id,
        closure=closure,
        inputs=dict(spec.inputs),
        store=store,
        runner=dispatch.lane(record.id),
        catalog=catalog,
        blob_store=store_url,
        code_root=code_root,
        max_parallelism=spec.max_parallelism,
        spec=spec,
        signals=signals,
        record=record,
        replay=replay,
        retry_policy=retry_policy,
        capture_logs=True,
        record_items=True,
        children=children,
    )
    return Loaded(pk, executor, store, resumed)


def _replay(
    plane: ControlPlane,
    store: DbStateStore,
    record: ExecutionRecord,
    resumed: bool,
    store_url: str,
) -> Replay | None:
    source = record.spec.source_execution if record.spec.mode == "recover" else None
    source_nodes = []
    source_prefix = ""
    if source is not None:
        source_pk, rows = plane.source(source)
        source_store = DbStateStore(lambda _: rows, source_pk, source, store_url)
        source_nodes = [n for n in source_store.nodes(source) if n.phase is NodePhase.SUCCEEDED]
        layout = DataLayout(open_store(store_url))
        source_prefix = layout.execution_prefix(source.project, source.domain, source.name)
        if not resumed:
            return Replay(
                source_nodes,
                source_store.attempts(source),
                resume=False,
                source_prefix=source_prefix,
                load_outputs=load_outputs,
            )
    if not resumed:
        return None
    own = list(store.nodes(record.id))
    attempts = store.attempts(record.id)
    elsewhere = sorted({a.cluster for a in attempts if a.cluster and a.cluster != record.cluster})
    if elsewhere:  # it ran on another cluster: adopt only outputs this host can read
        unreadable = unreadable_outputs(own)
        for path, uri in unreadable.items():
            why = {"uri": uri, "from": ",".join(elsewhere), "to": record.cluster}
            store.note(UNREADABLE_EVENT, path, why)
        own = [n for n in own if n.path not in unreadable]
    known = {n.path for n in own}
    nodes = own + [n for n in source_nodes if n.path not in known]
    return Replay(nodes, attempts, resume=True, load_outputs=load_outputs)


def _folder_of(home: Path, digest: str) -> str:
    """The name of a bundle's folder: keyed by a secret of the home, so that a worker given
    one bundle's folder cannot name another's even knowing its digest (it cannot list them)."""
    import hashlib
    import hmac
    import secrets

    path = home / "bundles.key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    key = b""
    for _ in range(50):  # another process may be writing it this instant
        key = path.read_bytes().strip()
        if key:
            break
        time.sleep(0.01)
    return hmac.new(key, digest.encode(), hashlib.sha256).hexdigest()[:40]


def _readable(root: Path) -> None:
    """Sources readable by the workers (another user when the server runs as root): the
    walls are the home and ``bundles`` folders above, which they may pass, never list."""
    os.chmod(root, 0o755)
    for folder, dirs, files in os.walk(root):
        for d in dirs:
            os.chmod(os.path.join(folder, d), 0o755)
        for f in files:
            path = os.path.join(folder, f)
            if not os.path.islink(path):
                os.chmod(path, 0o755 if os.stat(path).st_mode & 0o100 else 0o644)


def unpack_bundle(fetch: Callable[[str], bytes], digest: str, home: Path) -> str:
    """The directory holding bundle ``digest``'s sources, unpacked on first use (atomically);
    ``fetch`` reads a bundle's bytes from the control plane."""
    target = home / "bundles" / _folder_of(home, digest)
    if target.is_dir():
        return str(target)
    data = fetch(digest)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{digest[:12]}-", dir=target.parent))
    try:
        import io

        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            tar.extractall(tmp, filter="data")
        _readable(tmp)
        try:
            os.rename(tmp, target)
        except OSError:  # another process unpacked it first
            if not target.is_dir():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return str(target)
