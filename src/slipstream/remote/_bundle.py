"""Code bundles: the Python sources under a code root, honouring ``.gitignore``, as a
deterministic gzipped tar whose SHA-256 is its identity (same sources, same bytes, same digest)."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["CodeBundle", "build_bundle", "source_files"]

_ALWAYS_PRUNED = {"__pycache__", "node_modules"}


@dataclass(frozen=True)
class CodeBundle:
    """A built bundle: ``files`` (POSIX paths relative to ``root``), its bytes and digest."""

    root: Path
    files: tuple[str, ...]
    data: bytes
    digest: str


def _spec(directory: Path) -> Any:
    ignore = directory / ".gitignore"
    if not ignore.is_file():
        return None
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(ignore.read_text(errors="replace").splitlines())


def _ancestor_specs(root: Path) -> list[tuple[Path, Any]]:
    """``.gitignore`` files above ``root`` up to its git work tree's top, if it is in one."""
    chain: list[Path] = []
    for d in root.parents:
        chain.append(d)
        if (d / ".git").exists():
            break
    else:
        return []
    return [(d, s) for d in chain if (s := _spec(d)) is not None]


def source_files(root: Path) -> list[str]:
    """Every ``*.py`` under ``root`` that git would not ignore (hidden dirs are skipped)."""
    root = root.resolve()
    above = _ancestor_specs(root)
    local: dict[Path, Any] = {}
    found: list[str] = []

    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        spec = _spec(here)
        if spec is not None:
            local[here] = spec
        # a .gitignore applies to its own directory and everything below it
        specs = above + [(b, s) for b, s in local.items() if b == here or b in here.parents]

        def ignored(path: Path, is_dir: bool, specs: list[tuple[Path, Any]] = specs) -> bool:
            for base, spec in specs:
                rel = path.relative_to(base).as_posix() + ("/" if is_dir else "")
                if spec.match_file(rel):
                    return True
            return False

        dirnames[:] = sorted(
            d
            for d in dirnames
            if not d.startswith(".") and d not in _ALWAYS_PRUNED and not ignored(here / d, True)
        )
        for name in filenames:
            if name.endswith(".py") and not ignored(here / name, False):
                found.append((here / name).relative_to(root).as_posix())
    return sorted(found)


def build_bundle(root: str | Path) -> CodeBundle:
    """Bundle the sources under ``root``; the archive has fixed metadata, so it is reproducible."""
    root = Path(root).resolve()
    files = source_files(root)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for rel in files:
            data = (root / rel).read_bytes()
            info = tarfile.TarInfo(rel)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    data = gzip.compress(raw.getvalue(), compresslevel=6, mtime=0)
    return CodeBundle(root, tuple(files), data, hashlib.sha256(data).hexdigest())
