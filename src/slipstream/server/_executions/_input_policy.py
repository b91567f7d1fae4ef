"""What a caller may pass as an execution's inputs: data, never code, and only data of its own
project and domain.

Checked at every launch (the API, the console, relaunch, recover, schedule ticks and backfills)
on the inputs the execution will run with, after their shapes were checked, and on each value
sent to a gate (it becomes an input of the nodes after it):

- **Pickles are code.** A value a worker would unpickle (a pickle literal, the ``$pickle`` of a
  bare ``list``/``dict``, a blob whose format is pickle) runs whatever its author wrote when it is
  loaded, so it is accepted from a caller only if that caller may register code there (editor);
  registering code is running code, launching is not. A launcher gets 403 naming the input. Values
  the launch plan or the interface stored were registered by an editor and are not the caller's.
- **Blobs come from the project.** A blob given by URI must lie in the project/domain's uploads
  (``{store}/uploads/{project}/{domain}/``), in the data of its executions
  (``{store}/{project}/{domain}/``), or under a prefix an admin allows for it (the setting
  ``allowed_input_prefixes``). Anything else (a ``file://`` path elsewhere, a bare path,
  ``http(s)://``, ``..``, another project's data) is a 400 naming the input. URIs are compared in
  one normal form, segment by segment (:mod:`._input_uris`).

The common case (no blob, or blobs in the server's store) reads nothing from the database; the
admin's prefixes are read only for a URI outside the store.
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from typing import Any

from sqlalchemy.orm import Session

from slipstream.errors import InputError, PermissionDeniedError
from slipstream.model import Kind, LiteralType, Role, Variable
from slipstream.storage import open_store
from slipstream.types import has_blobs, iter_typed_blobs

from .._auth import Principal
from .._projects import SettingsService, normal_uri, under

__all__ = ["InputPolicy"]

_PICKLE_FORMATS = frozenset({"pickle", "pkl", "cloudpickle"})
_SYSTEM_ROOTS = frozenset({"uploads", "bundles"})


@functools.lru_cache(maxsize=4096)
def _may_hold_blobs(t: LiteralType) -> bool:
    """``has_blobs`` per literal type, remembered: most inputs hold none and are skipped whole."""
    return has_blobs(t)


def _unpickled(blob: dict[str, Any], t: LiteralType) -> bool:
    """Whether a worker loads this blob with pickle: a pickle, or any blob in a pickle format."""
    fmt = t.format or blob.get("format")
    return t.kind is Kind.PICKLE or (isinstance(fmt, str) and fmt.lower() in _PICKLE_FORMATS)


class InputPolicy:
    """Checks the blobs and pickles among an execution's inputs; see the module docstring."""

    def __init__(self, store_url: str, settings: SettingsService) -> None:
        root, why = normal_uri(open_store(store_url).root)
        if why:  # the store's own root is always a URI; a plain path was made one by the store
            raise ValueError(f"the blob store's root {store_url!r} is not usable: {why}")
        self.root = root
        self.settings = settings

    def own_prefixes(self, project: str, domain: str) -> tuple[str, ...]:
        """The prefixes in the server's store that hold ``project``/``domain``'s data."""
        uploads = f"{self.root}/uploads/{project}/{domain}"
        if project in _SYSTEM_ROOTS:  # its data would share a folder with the store's own
            return (uploads,)
        return (uploads, f"{self.root}/{project}/{domain}")

    def check(
        self,
        session: Session,
        project: str,
        domain: str,
        inputs: tuple[Variable, ...],
        values: dict[str, Any],
        given: Collection[str],
        caller: Principal,
        what: str = "input",
    ) -> None:
        """Refuse a pickle in ``given`` unless ``caller`` is an editor there (403), and any blob
        outside the project's data and allowed prefixes (400); both name the input (or, with
        ``what="signal"``, the signal)."""
        own: tuple[str, ...] | None = None
        allowed: tuple[str, ...] | None = None
        for v in inputs:
            if v.name not in values or not _may_hold_blobs(v.type):
                continue
            for blob, t in iter_typed_blobs(values[v.name], v.type):
                pickled = v.name in given and _unpickled(blob, t)
                if pickled and not caller.allows(Role.EDITOR, project, domain):
                    raise PermissionDeniedError(
                        f"{what} {v.name!r} is a pickled value, which runs code when a worker "
                        f"loads it: only an editor of {project}/{domain} (who may register code) "
                        "may pass one",
                        details={what: v.name, "role": Role.EDITOR.value},
                    )
                uri = blob.get("uri")
                normal, why = normal_uri(uri)
                if not why:
                    own = own if own is not None else self.own_prefixes(project, domain)
                    if any(under(normal, p) for p in own):
                        continue
                    if allowed is None:
                        allowed = self.settings.allowed_input_prefixes(session, project, domain)
                    if any(under(normal, p) for p in allowed):
                        continue
                    why = (
                        f"not among the data of {project}/{domain}: give an upload of it, an "
                        "output of one of its executions, or a URI under a prefix an admin "
                        "allows (setting allowed_input_prefixes)"
                    )
                shown = str(uri)[:200]
                raise InputError(
                    f"{what} {v.name!r}: the blob {shown!r} is refused: {why}",
                    details={what: v.name, "uri": shown},
                )
