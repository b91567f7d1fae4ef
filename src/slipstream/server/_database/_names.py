"""The shapes of names the API accepts: projects, domains, entity names, versions, digests, upload
ids and the relative paths of uploaded blobs."""

from __future__ import annotations

import re

from slipstream.errors import ValidationError

__all__ = [
    "check_blob_path",
    "check_digest",
    "check_domain",
    "check_name",
    "check_project",
    "check_upload_id",
    "check_version",
]

_PROJECT = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,254}")
_VERSION = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-+]{0,127}")
_DIGEST = re.compile(r"[0-9a-f]{64}")
_UPLOAD_ID = re.compile(r"[0-9a-f]{32}")
MAX_BLOB_PATH = 1024
MAX_PATH_PART = 255
LATEST = "latest"


def check_project(name: str) -> str:
    """A project name: lowercase letters, digits and dashes, at most 64 characters."""
    if not isinstance(name, str) or not _PROJECT.fullmatch(name):
        raise ValidationError(
            f"invalid project name {name!r}: use lowercase letters, digits and '-' "
            "(at most 64, not starting or ending with '-')",
            details={"field": "project", "value": name},
        )
    return name


def check_domain(name: str, domains: tuple[str, ...]) -> str:
    """A domain must be one of the configured domains."""
    if name not in domains:
        raise ValidationError(
            f"unknown domain {name!r}: the domains are {', '.join(domains)}",
            details={"field": "domain", "value": name, "allowed": list(domains)},
        )
    return name


def check_name(name: str) -> str:
    """An entity name: letters, digits, ``_``, ``.`` and ``-``, at most 255 characters."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValidationError(
            f"invalid name {name!r}: use letters, digits, '_', '.' and '-' (at most 255)",
            details={"field": "name", "value": name},
        )
    return name


def check_version(version: str) -> str:
    """A version: letters, digits, ``_ . - +``, at most 128 characters; ``latest`` is reserved."""
    if not isinstance(version, str) or not _VERSION.fullmatch(version) or version == LATEST:
        raise ValidationError(
            f"invalid version {version!r}: use letters, digits, '_', '.', '-' and '+' "
            f"(at most 128; {LATEST!r} is reserved)",
            details={"field": "version", "value": version},
        )
    return version


def check_digest(digest: str) -> str:
    """A content digest: 64 lowercase hex characters (SHA-256)."""
    if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
        raise ValidationError(
            f"invalid digest {digest!r}: expected 64 lowercase hex characters (sha256)",
            details={"field": "digest", "value": digest},
        )
    return digest


def check_upload_id(upload_id: str) -> str:
    """An upload location's id: 32 lowercase hex characters (what ``POST .../uploads`` gives)."""
    if not isinstance(upload_id, str) or not _UPLOAD_ID.fullmatch(upload_id):
        raise ValidationError(
            f"invalid upload id {upload_id!r}: expected 32 lowercase hex characters",
            details={"field": "id", "value": upload_id},
        )
    return upload_id


def check_blob_path(path: str) -> str:
    """The relative path of an uploaded blob under its upload location: ``/``-separated parts,
    none empty, ``.`` or ``..``; no control character or backslash; at most 1024 characters
    (255 bytes of UTF-8 per part, what file systems allow). A file name may otherwise hold any character (spaces, accents)."""
    problem = _blob_path_problem(path)
    if problem:
        raise ValidationError(
            f"invalid upload path {path!r:.200}: {problem}",
            details={"field": "path", "value": path[:MAX_BLOB_PATH]},
        )
    return path


def _blob_path_problem(path: str) -> str:
    if not isinstance(path, str) or not path:
        return "it is empty"
    if len(path) > MAX_BLOB_PATH:
        return f"longer than {MAX_BLOB_PATH} characters"
    if path.startswith("/"):
        return "an absolute path (give it relative to the upload location)"
    if any(ord(c) < 0x20 or c in "\\\x7f" for c in path):
        return "it holds a control character or a backslash"
    for part in path.split("/"):
        if part in ("", ".", ".."):
            return "every part must be a name (no empty part, '.' or '..')"
        try:
            size = len(part.encode())
        except UnicodeEncodeError:
            return "it is not valid UTF-8"
        if size > MAX_PATH_PART:
            return f"a part is longer than {MAX_PATH_PART} bytes"
    return ""
