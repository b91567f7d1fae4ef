"""The version registration uses when none is given: the git commit of a clean work tree,
otherwise a prefix of the code bundle's content hash."""

from __future__ import annotations

import subprocess
from pathlib import Path

__all__ = ["default_version", "git_commit"]

BUNDLE_VERSION_CHARS = 24


def git_commit(root: Path) -> str | None:
    """HEAD's commit when ``root`` is in a git work tree with nothing changed under ``root``."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    head = git("rev-parse", "--verify", "HEAD")
    if not head:
        return None
    status = git("status", "--porcelain", "--untracked-files=normal", "--", ".")
    if status is None or status:
        return None
    return head


def default_version(root: Path, bundle_digest: str) -> str:
    """The git commit if the tree is clean, else the bundle's content hash (shortened)."""
    return git_commit(root) or bundle_digest[:BUNDLE_VERSION_CHARS]
