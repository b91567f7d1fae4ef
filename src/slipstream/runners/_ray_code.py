"""Code roots shipped to Ray nodes that cannot read them.

On one machine (or a shared disk) an actor imports a task's module from the request's
``code_root`` as it is. On a cluster of several machines that folder exists only beside the
engine, so the runner packs it once (a reproducible zip of its files, skipping caches, hidden
folders and virtual environments) into Ray's object store, and each actor unpacks it once per
content hash into a local folder that then stands in for the code root.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import zipfile
from pathlib import Path

from slipstream.errors import ConfigError

__all__ = ["MAX_CODE_BYTES", "pack_code_root", "unpack_code_root"]

MAX_CODE_BYTES = 256 << 20
_SKIP_DIRS = {"__pycache__", "node_modules", "venv", ".venv", "build", "dist"}
_unpacked: dict[str, str] = {}


def pack_code_root(root: str) -> tuple[str, bytes]:
    """``root``'s files as a zip, and the hash that names its content."""
    base = Path(root)
    if not base.is_dir():
        raise ConfigError(f"code root {root} is not a folder")
    files: list[Path] = []
    for dirpath, dirs, names in os.walk(base):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS)
        files.extend(Path(dirpath) / n for n in sorted(names) if not n.endswith((".pyc", ".pyo")))
    buf = io.BytesIO()
    total = 0
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for f in files:
            if not f.is_file():
                continue
            total += f.stat().st_size
            if total > MAX_CODE_BYTES:
                raise ConfigError(
                    f"code root {root} holds more than {MAX_CODE_BYTES >> 20} MiB of files, too "
                    "much to ship to the Ray cluster; put it on a disk every node reads"
                )
            info = zipfile.ZipInfo(f.relative_to(base).as_posix(), date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            z.writestr(info, f.read_bytes(), zipfile.ZIP_DEFLATED)
    data = buf.getvalue()
    return hashlib.sha256(data).hexdigest()[:24], data


def unpack_code_root(digest: str, data: bytes) -> str:
    """The local folder holding the code named ``digest`` (unpacked once per process)."""
    hit = _unpacked.get(digest)
    if hit is not None:
        return hit
    folder = tempfile.mkdtemp(prefix=f"slipstream-code-{digest[:12]}-")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        z.extractall(folder)
    _unpacked[digest] = folder
    return folder
