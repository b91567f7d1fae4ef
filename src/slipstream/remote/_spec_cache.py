"""Specs remembered by the content of the code that produced them.

Discovering what to register imports the user's modules, which for real projects (scikit-learn,
torch, pandas) takes seconds. The specs depend only on the sources under the code root, the files
named, the Python version and slipstream itself, so they are kept under
``$SLIPSTREAM_HOME/cache/specs/<key>.json`` where the key hashes all of these; registering code
that did not change reads them back instead of importing anything, and so does ``slipstream run
--remote FILE ENTITY`` (:func:`cached_specs`), which builds ENTITY's command from the remembered
interface and registers and launches it by identifier.

Not covered by the key: code imported from outside the code root (installed packages other than
slipstream) and module-level code whose specs depend on the environment. ``slipstream register
--reimport`` (``Remote.register(..., reuse_specs=False)``) ignores the cache for those cases.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from pathlib import Path

import msgspec

from slipstream.model import CompiledWorkflow, Identifier, LaunchPlanSpec, TaskTemplate
from slipstream.storage import slipstream_home

from ._bundle import build_bundle
from ._discover import Discovered, source_paths

__all__ = ["cached_specs", "load_specs", "save_specs", "spec_cache_dir", "spec_cache_key"]

_FORMAT = "2"
_SPEC_LAYERS = ("model", "types", "sdk")


class _Stored(msgspec.Struct, frozen=True):
    code_root: str
    modules: tuple[str, ...]
    tasks: tuple[TaskTemplate, ...]
    workflows: tuple[CompiledWorkflow, ...]
    launch_plans: tuple[LaunchPlanSpec, ...]
    entities: dict[str, dict[str, Identifier]] = {}


_fingerprint: str | None = None


def _slipstream_fingerprint() -> str:
    """The size and mtime of each source of slipstream's layers that make specs, and of the
    discovery module that picks them: they change with every install or upgrade, and with every
    edit of an editable install (whose version number stays the same); a stat per file, no
    reads."""
    global _fingerprint
    if _fingerprint is None:
        h = hashlib.sha256()
        pkg = Path(__file__).resolve().parents[1]
        # discovery decides which entities a file registers: an edit of it changes the specs too
        files = [pkg / "errors.py", Path(__file__).resolve().with_name("_discover.py")]
        for layer in _SPEC_LAYERS:
            for dirpath, dirnames, filenames in os.walk(pkg / layer):
                dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
                files.extend(Path(dirpath, n) for n in sorted(filenames) if n.endswith(".py"))
        for file in files:
            st = file.stat()
            h.update(f"{file}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        _fingerprint = h.hexdigest()
    return _fingerprint


def spec_cache_key(code_root: Path, files: list[Path], bundle_digest: str) -> str:
    """The key of the specs found in ``files``: their names under ``code_root``, the bundle
    digest (the content of every source under the root), Python's and slipstream's versions."""
    h = hashlib.sha256(f"{_FORMAT}\0{sys.version}\0{_slipstream_fingerprint()}\0".encode())
    h.update(f"{code_root}\0{bundle_digest}\0".encode())
    for f in files:
        h.update(f.relative_to(code_root).as_posix().encode() + b"\0")
    return h.hexdigest()


def spec_cache_dir() -> Path:
    """Where remembered specs live."""
    return slipstream_home() / "cache" / "specs"


def load_specs(key: str) -> Discovered | None:
    """The specs remembered under ``key``, or None (absent, unreadable or from another format)."""
    path = spec_cache_dir() / f"{key}.json"
    try:
        stored = msgspec.json.decode(path.read_bytes(), type=_Stored)
    except (OSError, msgspec.DecodeError, msgspec.ValidationError):
        return None
    return Discovered(
        code_root=Path(stored.code_root),
        modules=stored.modules,
        tasks=stored.tasks,
        workflows=stored.workflows,
        launch_plans=stored.launch_plans,
        entities=stored.entities,
    )


def save_specs(key: str, found: Discovered) -> None:
    """Remember ``found`` under ``key`` (written atomically; a failure to write is ignored)."""
    stored = _Stored(
        code_root=str(found.code_root),
        modules=found.modules,
        tasks=found.tasks,
        workflows=found.workflows,
        launch_plans=found.launch_plans,
        entities=found.entities,
    )
    directory = spec_cache_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".json")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(msgspec.json.encode(stored))
        os.replace(tmp, directory / f"{key}.json")
    except OSError:
        Path(tmp).unlink(missing_ok=True)


def cached_specs(*paths: str | Path) -> Discovered | None:
    """The specs that registering ``paths`` would reuse (see ``Remote.register``), or None when
    they are not remembered (never registered from here, or the sources changed): reads the
    sources under the code root, imports nothing."""
    code_root, files = source_paths(list(paths))
    return load_specs(spec_cache_key(code_root, files, build_bundle(code_root).digest))
