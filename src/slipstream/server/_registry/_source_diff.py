"""Which functions' source changed between two code bundles, with the changed lines: what a
registration conflict shows beside the spec diff, so that "the bundle hash differs" names the
code that differs."""

from __future__ import annotations

import ast
import difflib
import tarfile
from typing import IO, Any

import msgspec

__all__ = ["FunctionChange", "bundle_sources", "changed_functions", "code_refs", "render_functions"]

_MAX_LINES = 40
_MAX_FILE = 1024 * 1024
"""A Python file larger than this is not compared (it is not a hand-written source)."""
_MAX_MEMBERS = 50_000


class FunctionChange(msgspec.Struct, frozen=True):
    """A function (``module.qualname``) whose source differs: its file and a unified diff."""

    function: str
    file: str
    diff: tuple[str, ...]


def bundle_sources(stream: IO[bytes], max_unpacked: int) -> dict[str, str]:
    """The Python files of a bundle (a gzipped tar read as a stream): path -> text.

    Memory stays bounded whatever the bundle holds: members are read one at a time, Python
    files over 1 MiB are skipped, and past ``max_unpacked`` bytes of members (or 50,000 of them)
    it stops with :class:`ValueError`."""
    out: dict[str, str] = {}
    unpacked = 0
    with tarfile.open(fileobj=stream, mode="r|gz") as tar:
        seen: list[tarfile.TarInfo] = tar.__dict__["members"]  # what a stream keeps: emptied
        for count, member in enumerate(tar, 1):
            unpacked += max(member.size, 0) + tarfile.BLOCKSIZE
            if unpacked > max_unpacked or count > _MAX_MEMBERS:
                raise ValueError(f"the bundle unpacks to more than {max_unpacked} bytes")
            seen.clear()  # a million headers would otherwise all stay in memory
            if member.isfile() and member.name.endswith(".py") and member.size <= _MAX_FILE:
                f = tar.extractfile(member)
                if f is not None:
                    out[member.name] = f.read(_MAX_FILE).decode("utf-8", errors="replace")
    return out


def code_refs(spec: Any) -> list[tuple[str, str, str]]:
    """Every ``(module, qualname, file)`` a spec points at (its tasks' loaders), in order."""
    found: dict[tuple[str, str, str], None] = {}

    def walk(tree: Any) -> None:
        if isinstance(tree, dict):
            if isinstance(tree.get("module"), str) and isinstance(tree.get("qualname"), str):
                found[(tree["module"], tree["qualname"], str(tree.get("file", "")))] = None
            for v in tree.values():
                walk(v)
        elif isinstance(tree, list):
            for v in tree:
                walk(v)

    walk(spec)
    return list(found)


def _file_of(sources: dict[str, str], module: str, file: str) -> str | None:
    base = module.replace(".", "/")
    for candidate in (file, f"{base}.py", f"{base}/__init__.py"):
        if candidate and candidate in sources:
            return candidate
    return None


def _function_source(text: str, qualname: str) -> str | None:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    body: list[ast.stmt] = tree.body
    node: ast.stmt | None = None
    for part in qualname.split("."):
        node = next(
            (
                n
                for n in body
                if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                and n.name == part
            ),
            None,
        )
        if node is None:
            return None
        body = getattr(node, "body", [])
    if node is None:
        return None
    lines = text.splitlines()
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
    last = getattr(node, "end_lineno", None) or node.lineno
    return "\n".join(lines[first - 1 : last])


def changed_functions(
    old: dict[str, str], new: dict[str, str], refs: list[tuple[str, str, str]]
) -> list[FunctionChange]:
    """The functions among ``refs`` whose source differs between the two bundles' sources."""
    changes: list[FunctionChange] = []
    for module, qualname, file in refs:
        old_file, new_file = _file_of(old, module, file), _file_of(new, module, file)
        before = _function_source(old[old_file], qualname) if old_file else None
        after = _function_source(new[new_file], qualname) if new_file else None
        if before == after:
            continue
        diff = difflib.unified_diff(
            (before or "").splitlines(),
            (after or "").splitlines(),
            fromfile=f"registered {old_file or '(absent)'}",
            tofile=f"new {new_file or '(absent)'}",
            lineterm="",
            n=1,
        )
        lines = tuple(diff)
        if len(lines) > _MAX_LINES:
            lines = (*lines[:_MAX_LINES], f"... {len(lines) - _MAX_LINES} more lines")
        changes.append(FunctionChange(f"{module}.{qualname}", new_file or old_file or "", lines))
    return changes


def render_functions(changes: list[FunctionChange]) -> str:
    """The changed functions for a message: name, file, and the diff lines indented."""
    parts = []
    for c in changes:
        parts.append(f"  function {c.function} ({c.file}) changed:")
        parts.extend(f"    {line}" for line in c.diff)
    return "\n".join(parts)
