"""Blob URIs as launch inputs: one normal form, and "lies under this prefix" by whole segments.

A URI a caller gives is compared with prefixes (the project's uploads, its executions' data, an
admin's allowed prefixes) only after it is brought to one form, and only if that form cannot mean
anything else to a store: a scheme (``s3``, ``file``...) and a path of names. Refused outright are
bare paths (no scheme), ``.`` and ``..`` segments, empty segments, percent-escapes (a store or a
library further down might decode ``%2e%2e`` into ``..``), backslashes and control characters.
Prefixes match whole segments, so ``uploads/a/dev`` never covers ``uploads/a/dev-x``.
"""

from __future__ import annotations

import re

from slipstream.errors import ValidationError

__all__ = ["MAX_URI", "check_prefixes", "normal_uri", "under"]

MAX_URI = 4096
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]{0,31}")
_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\\]")
_DOTS = re.compile(r"(?:^|/)\.\.?(?:/|$)")
_MAX_PREFIXES = 64


def normal_uri(uri: object) -> tuple[str, str]:
    """``(normal form, "")`` for a URI that names a blob unambiguously, else ``("", why not)``.

    The normal form has a lowercase scheme and no trailing ``/``; ``file://`` URIs keep their
    absolute path (``file:///data/x``).
    """
    if not isinstance(uri, str) or not uri:
        return "", "not a URI"
    if len(uri) > MAX_URI:
        return "", f"longer than {MAX_URI} characters"
    if _UNSAFE.search(uri):
        return "", "it holds a control character or a backslash"
    scheme, sep, rest = uri.partition("://")
    scheme = scheme.lower()
    if not sep or not _SCHEME.fullmatch(scheme):
        return "", "a bare path, not a URI of a store (give an uploaded blob's URI)"
    if _ESCAPE.search(rest):
        return "", "percent-escapes are not accepted in input URIs"
    if scheme == "file":
        if not rest.startswith("/"):
            return "", "a file:// URI must hold an absolute path"
        body = rest[1:]
    else:
        body = rest
    body = body[:-1] if body.endswith("/") else body
    if not body or "//" in body or body[0] == "/" or body[-1] == "/" or _DOTS.search(body):
        return "", "every path segment must be a name (no empty, '.' or '..' segment)"
    return (f"file:///{body}" if scheme == "file" else f"{scheme}://{body}"), ""


def under(uri: str, prefix: str) -> bool:
    """Whether the normal ``uri`` is ``prefix`` or lies below it (both in normal form)."""
    return uri == prefix or uri.startswith(prefix + "/")


def check_prefixes(prefixes: tuple[str, ...] | None, field: str) -> tuple[str, ...] | None:
    """The prefixes of a setting in normal form; :class:`ValidationError` naming a bad one."""
    if prefixes is None:
        return None
    if len(prefixes) > _MAX_PREFIXES:
        raise ValidationError(f"{field}: at most {_MAX_PREFIXES} prefixes, got {len(prefixes)}")
    out = []
    for prefix in prefixes:
        normal, why = normal_uri(prefix)
        if why:
            raise ValidationError(
                f"{field}: {str(prefix)[:200]!r} is not a usable prefix: {why}",
                details={"field": field, "value": str(prefix)[:200]},
            )
        if normal.count("/") < 3:  # a whole bucket or file system root is too wide
            raise ValidationError(
                f"{field}: {normal!r} is too wide; give a folder (s3://bucket/data/)",
                details={"field": field, "value": normal},
            )
        out.append(normal)
    return tuple(out)
