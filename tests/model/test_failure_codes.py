"""The one catalogue of failure codes: every code the source writes is in it, every entry is
complete, and the error classes, the retry policy and the HTTP mapping all read it."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import msgspec
import pytest

import slipstream.errors as errors_module
from slipstream import errors
from slipstream.errors import (
    CODES,
    ErrorKind,
    FailureCode,
    Retry,
    SlipstreamError,
    code_info,
    http_status,
    retry_rule,
)
from slipstream.model import ErrorInfo

SRC = Path(__file__).resolve().parents[2] / "src" / "slipstream"

# a code written as a bare string: ``code="x"``, ``code = "x"`` on an error class, ``code == "x"``
_BARE = re.compile(r"""\bcode(?::\s*ClassVar\[str\])?\s*(?:=|==)\s*["']([a-z_]+)["']""")
_MEMBER = re.compile(r"\bFailureCode\.([A-Z_]+)\b")


def _sources() -> list[Path]:
    return [p for p in SRC.rglob("*.py") if "static" not in p.parts]


def _error_classes() -> list[type[SlipstreamError]]:
    found: list[type[SlipstreamError]] = []
    seen: set[type[SlipstreamError]] = set()
    todo: list[type[SlipstreamError]] = [SlipstreamError]
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.add(cls)
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_every_code_the_source_writes_is_in_the_catalogue() -> None:
    bare: dict[str, list[str]] = {}
    members: set[str] = set()
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        for m in _BARE.finditer(text):
            bare.setdefault(m.group(1), []).append(path.name)
        members.update(_MEMBER.findall(text))
    unknown = {c: where for c, where in bare.items() if code_info(c) is None}
    assert not unknown, f"codes written outside the catalogue: {unknown}"
    assert members, "the source names no FailureCode member: the grep is broken"
    assert members <= set(FailureCode.__members__), members - set(FailureCode.__members__)


def test_no_bare_code_strings_in_the_engine_runners_and_server() -> None:
    where = [SRC / "engine", SRC / "runners", SRC / "server"]
    found = [
        f"{p.relative_to(SRC)}: {m.group(0)}"
        for d in where
        for p in d.rglob("*.py")
        for m in _BARE.finditer(p.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_every_entry_is_complete() -> None:
    assert set(CODES) == set(FailureCode)
    for code, info in CODES.items():
        assert isinstance(info.kind, ErrorKind), code
        assert isinstance(info.retry, Retry), code
        assert 400 <= info.http_status <= 599, code
        if info.kind is ErrorKind.USER:
            assert info.http_status < 500, f"{code}: a user's fault answered as the server's"


def test_every_error_class_has_a_catalogued_code_and_its_kind() -> None:
    for cls in _error_classes():
        info = code_info(cls.code)
        if cls.__module__ != errors_module.__name__ and info is None:
            continue  # an extra's own error (not in this package's source)
        assert info is not None, cls
        assert isinstance(cls.kind, ErrorKind), cls
        if cls.__module__ == errors_module.__name__:
            assert info.kind == cls.kind, f"{cls.__name__}: {info.kind} != {cls.kind}"


def test_the_wire_format_is_the_plain_strings() -> None:
    err = ErrorInfo(code=FailureCode.STORE_FULL, message="m", kind=ErrorKind.SYSTEM)
    raw = msgspec.json.encode(err)
    assert b'"code":"store_full"' in raw and b'"kind":"SYSTEM"' in raw
    back = msgspec.json.decode(b'{"code":"worker_lost","message":"m","kind":"OOM"}', type=ErrorInfo)
    assert back.code == FailureCode.WORKER_LOST and back.kind is ErrorKind.OOM
    # an extra's own code still decodes; a kind outside the five does not
    assert msgspec.json.decode(b'{"code":"x_y","message":""}', type=ErrorInfo).code == "x_y"
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(b'{"code":"x","message":"","kind":"MAYBE"}', type=ErrorInfo)


def test_retry_rules_and_http_status_read_the_catalogue() -> None:
    assert retry_rule("interrupted") is Retry.FREE
    assert retry_rule("store_full") is Retry.NEVER
    assert retry_rule("unschedulable") is Retry.NEVER
    assert retry_rule("worker_lost") is Retry.BY_KIND
    assert retry_rule("an_extras_code") is Retry.BY_KIND
    assert http_status("not_found") == 404
    assert http_status("storage_error", ErrorKind.SYSTEM) == 503
    assert http_status("an_extras_code", ErrorKind.USER) == 400
    assert http_status("an_extras_code", ErrorKind.SYSTEM) == 500


def test_one_error_kind() -> None:
    from slipstream import model

    assert model.ErrorKind is errors.ErrorKind
    assert inspect.isclass(ErrorKind) and issubclass(ErrorKind, str)
