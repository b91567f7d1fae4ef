"""Where each piece of an execution's data lives in the blob store.

``{project}/{domain}/{execution}/{node}/{attempt}/inputs|outputs|checkpoint|logs``, code bundles
by content hash under ``bundles/``, and data a client uploads for its executions' inputs under
``uploads/{project}/{domain}/{upload id}``. Node paths made at run time (``n3/dyn/n0``,
``n4[17]``) become safe path segments: each ``/``-separated part keeps ``[A-Za-z0-9_.-]``, a
trailing map index ``[17]`` becomes ``@17`` and any other character ``~xx`` (hex), so distinct
node paths never share a prefix.
"""

from __future__ import annotations

from dataclasses import dataclass

from slipstream.errors import ConfigError

from ._store import BlobStore

__all__ = ["AttemptLayout", "DataLayout", "node_segment"]

_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")


def _escape(part: str) -> str:
    if _SAFE.issuperset(part) and not part.startswith("."):
        return part
    out = "".join(c if c in _SAFE else "".join(f"~{b:02x}" for b in c.encode()) for c in part)
    if out.startswith("."):
        out = "~2e" + out[1:]
    return out


def node_segment(node_path: str) -> str:
    """The relative storage path of a node path (``n4[17]`` -> ``n4@17``)."""
    parts = node_path.split("/")
    out = []
    for part in parts:
        if not part:
            raise ConfigError(f"bad node path {node_path!r}: empty part")
        base, index = _split_index(part)
        out.append(f"{_escape(base)}@{index}" if index is not None else _escape(part))
    return "/".join(out)


def _split_index(part: str) -> tuple[str, str | None]:
    """``n4[17]`` -> (``n4``, ``17``); anything else -> (part, None)."""
    if part.endswith("]"):
        i = part.rfind("[")
        digits = part[i + 1 : -1]
        if i >= 0 and digits.isdigit() and digits.isascii():
            return part[:i], digits
    return part, None


def _name(what: str, value: str) -> str:
    if not value or value[0] in ".-" or not _SAFE.issuperset(value):
        raise ConfigError(
            f"bad {what} {value!r} for a storage path: use letters, digits, '_', '.' and '-'"
        )
    return value


@dataclass(frozen=True)
class AttemptLayout:
    """The URIs of one attempt's data (each one a prefix)."""

    prefix: str
    inputs: str
    outputs: str
    checkpoint: str
    logs: str


class DataLayout:
    """Computes the URIs of executions, attempts and code bundles in one blob store."""

    def __init__(self, store: BlobStore) -> None:
        self.store = store

    def execution_prefix(self, project: str, domain: str, execution: str) -> str:
        """``{root}/{project}/{domain}/{execution}``."""
        return self.store.join(
            _name("project", project), _name("domain", domain), _name("execution", execution)
        )

    def node_prefix(self, project: str, domain: str, execution: str, node_path: str) -> str:
        """``{execution prefix}/{node segment}``."""
        return self.store.join_uri(
            self.execution_prefix(project, domain, execution), node_segment(node_path)
        )

    def attempt_prefix(
        self, project: str, domain: str, execution: str, node_path: str, attempt: int
    ) -> AttemptLayout:
        """The URIs of an attempt: ``.prefix`` and its ``inputs``, ``outputs``, ``checkpoint``,
        ``logs`` sub-prefixes."""
        if attempt < 0:
            raise ConfigError(f"bad attempt number {attempt}")
        prefix = self.store.join_uri(
            self.node_prefix(project, domain, execution, node_path), str(attempt)
        )
        j = self.store.join_uri
        return AttemptLayout(
            prefix=prefix,
            inputs=j(prefix, "inputs"),
            outputs=j(prefix, "outputs"),
            checkpoint=j(prefix, "checkpoint"),
            logs=j(prefix, "logs"),
        )

    def upload_prefix(self, project: str, domain: str, upload_id: str) -> str:
        """Where a client's uploads of data for executions go:
        ``{root}/uploads/{project}/{domain}/{upload id}``."""
        return self.store.join(
            "uploads",
            _name("project", project),
            _name("domain", domain),
            _name("upload id", upload_id),
        )

    def bundle_uri(self, content_hash: str, suffix: str = "") -> str:
        """Where the code bundle with this content hash lives: ``{root}/bundles/{hash}{suffix}``."""
        return self.store.join("bundles", _name("bundle hash", content_hash) + suffix)
