"""Typed text: what someone typed -> a Python value of a declared type, or a literal of a literal type.

The one parser of typed text: command-line inputs (``slipstream run``), signal values
(``slipstream signal``) and answers typed at a gate's terminal prompt all go through it.

``parse_value(text, tp)`` turns what a user typed into a value of ``tp``: numbers, bools
(``true/false/1/0/yes/no``), strings, ISO datetimes and dates, durations (seconds, ``1h30m``,
``PT1H30M``, ``01:30:00``), JSON for lists, dicts, dataclasses, pydantic models and ``Any``, an
enum's value (or member name), a path or URL for ``File`` / ``Directory``, and a CSV or Parquet file
read into the declared DataFrame type. It raises :class:`BadValue` saying what was expected; a
command turns that into a usage error (exit code 2) before anything runs. ``parse_text(text, t)``
does the same for a literal type (for clients and engines without the user's Python types) and
returns the literal.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import re
import sys
import types
import typing
from pathlib import Path
from typing import Any

from slipstream.model import LiteralType

from ._directory import Directory
from ._file import File
from ._frame_io import ARROW, PANDAS, POLARS, SD
from ._structured import StructuredDataset, table_kind

__all__ = ["BadValue", "describe_type", "metavar_of", "parse_duration", "parse_text", "parse_value"]

_TRUE = frozenset({"true", "t", "1", "yes", "y", "on"})
_FALSE = frozenset({"false", "f", "0", "no", "n", "off"})
_NONE = frozenset({"none", "null"})
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*(ms|us|µs|w|d|h|m|s)", re.IGNORECASE)
_DURATION_UNITS = {
    "w": 604800.0,
    "d": 86400.0,
    "h": 3600.0,
    "m": 60.0,
    "s": 1.0,
    "ms": 1e-3,
    "us": 1e-6,
    "µs": 1e-6,
}
_CSV_SUFFIXES = (".csv", ".tsv", ".txt", ".csv.gz")


class BadValue(ValueError):
    """A command-line value that does not parse as its declared type; the message says why."""


def _strip_annotated(tp: Any) -> tuple[Any, tuple[Any, ...]]:
    if typing.get_origin(tp) is typing.Annotated:
        return tp.__origin__, tuple(tp.__metadata__)
    return tp, ()


def _is_union(tp: Any) -> bool:
    origin = typing.get_origin(tp)
    return origin is typing.Union or origin is types.UnionType


def _is_pydantic(tp: Any) -> bool:
    pydantic = sys.modules.get("pydantic")
    return (
        pydantic is not None
        and isinstance(tp, type)
        and issubclass(tp, pydantic.BaseModel)
        and tp is not pydantic.BaseModel
    )


def _is_ndarray(tp: Any) -> bool:
    np = sys.modules.get("numpy")
    return np is not None and (tp is np.ndarray or typing.get_origin(tp) is np.ndarray)


def _is_namedtuple(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, tuple) and hasattr(tp, "_fields")


def describe_type(tp: Any) -> str:
    """A short, Python-looking name of a declared type: ``int``, ``list[float]``, ``File[csv]``."""
    tp, meta = _strip_annotated(tp)
    if tp is type(None) or tp is None:
        return "None"
    if tp is Any:
        return "Any"
    if _is_union(tp):
        return " | ".join(describe_type(a) for a in typing.get_args(tp))
    origin = typing.get_origin(tp)
    if origin is not None:
        args = ", ".join(describe_type(a) for a in typing.get_args(tp))
        name = getattr(origin, "__name__", str(origin))
        return f"{name}[{args}]" if args else name
    if isinstance(tp, type):
        name = tp.__qualname__
        fam = table_kind(tp)
        if fam in (PANDAS, POLARS):
            name = f"{fam}.DataFrame"
        elif fam == ARROW:
            name = "pyarrow.Table"
        cols = next((m for m in meta if isinstance(m, dict)), None)
        if cols:
            name += "[" + ", ".join(f"{k}: {describe_type(v)}" for k, v in cols.items()) + "]"
        return name
    return repr(tp)


def metavar_of(tp: Any) -> str:
    """What ``--help`` shows after an option: ``INTEGER``, ``JSON``, ``[red|green]``, ``PATH``."""
    tp, _ = _strip_annotated(tp)
    if _is_union(tp):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return metavar_of(args[0]) if len(args) == 1 else "VALUE"
    simple: dict[Any, str] = {
        int: "INTEGER",
        float: "FLOAT",
        str: "TEXT",
        bool: "BOOLEAN",
        bytes: "TEXT",
        dt.datetime: "DATETIME",
        dt.date: "DATE",
        dt.timedelta: "DURATION",
    }
    if isinstance(tp, type) and tp in simple:
        return simple[tp]
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return "[" + "|".join(str(m.value) for m in tp) + "]"
    if isinstance(tp, type) and issubclass(tp, Directory):
        return "DIR|URL"
    if isinstance(tp, type) and issubclass(tp, File):
        return "FILE|URL"
    if table_kind(tp) is not None:
        return "CSV|PARQUET"
    if _is_ndarray(tp):
        return "JSON|NPY"
    return "JSON"


def _fail(expected: str, text: Any, why: str = "") -> BadValue:
    shown = text if isinstance(text, str) else json.dumps(text, default=str)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return BadValue(f"expected {expected}, got {shown!r}" + (f" ({why})" if why else ""))


def _json(text: str, expected: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise _fail(expected + " as JSON", text, f"invalid JSON: {e.msg}") from None


def parse_duration(text: str) -> dt.timedelta:
    """``90``/``1.5`` (seconds), ``1h30m``, ``500ms``, ``2d``, ``PT1H30M``, ``-5s`` or ``01:30:00``."""
    s = text.strip()
    sign = 1.0
    if s[:1] in "+-" and s[1:]:
        sign = -1.0 if s[0] == "-" else 1.0
        s = s[1:].strip()
    try:
        return dt.timedelta(seconds=sign * float(s))
    except ValueError:
        pass
    if ":" in s:
        parts = s.split(":")
        if 2 <= len(parts) <= 3:
            try:
                nums = [float(p) for p in parts]
            except ValueError:
                nums = []
            if nums:
                secs = sum(n * 60**k for k, n in enumerate(reversed(nums)))
                return dt.timedelta(seconds=sign * secs)
    iso = s.upper()
    if iso.startswith("P"):
        date_part, _, time_part = iso[1:].partition("T")
        s = date_part.replace("W", "w").replace("D", "d")
        if time_part:
            s += time_part.replace("H", "h").replace("M", "m").replace("S", "s")
        if "M" in date_part or "Y" in date_part:
            raise ValueError("months and years are not fixed durations")
    pos = 0
    total = 0.0
    for m in _DURATION_PART.finditer(s):
        if s[pos : m.start()].strip():
            raise ValueError(text)
        total += float(m.group(1)) * _DURATION_UNITS[m.group(2).lower()]
        pos = m.end()
    if pos == 0 or s[pos:].strip():
        raise ValueError(text)
    return dt.timedelta(seconds=sign * total)


def _path_value(text: str, tp: type, is_dir: bool) -> Any:
    if "://" not in text:
        p = Path(text).expanduser()
        if is_dir and not p.is_dir():
            raise _fail("a directory path or URL", text, "no such directory")
        if not is_dir and not p.is_file():
            raise _fail("a file path or URL", text, "no such file")
        text = str(p.resolve())
    return tp(text)


def _read_frame(text: str, family: str, columns: list[str] | None) -> Any:
    """Read a CSV or Parquet file (a path or an fsspec URL) as a ``family`` frame."""
    if "://" not in text:
        p = Path(text).expanduser()
        if not p.is_file():
            raise _fail("a CSV or Parquet file path or URL", text, "no such file")
        text = str(p.resolve())
    lower = text.lower()
    is_csv = lower.endswith(_CSV_SUFFIXES)
    sep = "\t" if lower.endswith(".tsv") else ","
    try:
        if family == POLARS:
            import polars as pl

            return pl.read_csv(text, separator=sep) if is_csv else pl.read_parquet(text)
        if family == ARROW:
            import pyarrow.parquet as pq

            if is_csv:
                import pyarrow.csv as pacsv

                opts = pacsv.ParseOptions(delimiter=sep)
                return pacsv.read_csv(text, parse_options=opts)
            return pq.read_table(text)
        import pandas as pd

        return pd.read_csv(text, sep=sep) if is_csv else pd.read_parquet(text)
    except BadValue:
        raise
    except Exception as e:
        what = "CSV" if is_csv else "Parquet (name CSV files *.csv)"
        raise _fail(f"a {what} file", text, f"{type(e).__name__}: {e}") from None


def parse_value(value: Any, tp: Any) -> Any:
    """``value`` (command-line text, or a JSON value inside a collection) as a ``tp`` value."""
    base, meta = _strip_annotated(tp)
    if base is Any or base is object:
        return _json(value, "JSON") if isinstance(value, str) else value
    if base is type(None) or base is None:
        if value is None or (isinstance(value, str) and value.strip().lower() in _NONE):
            return None
        raise _fail("none", value)
    if _is_union(base):
        return _parse_union(value, base)
    if base is dict or base is list:  # unparameterized: any JSON object / array
        base = dict[str, Any] if base is dict else list[Any]
    origin = typing.get_origin(base)
    if origin is not None:
        return _parse_generic(value, base, origin)
    if not isinstance(base, type):
        raise BadValue(f"inputs of type {describe_type(tp)} cannot be given on the command line")
    if base is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise _fail("bool (true/false, yes/no, 1/0)", value)
    if base is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        try:
            return int(value.strip()) if isinstance(value, str) else _bad_type()
        except (ValueError, TypeError):
            raise _fail("int", value) from None
    if base is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        try:
            return float(value.strip()) if isinstance(value, str) else _bad_type()
        except (ValueError, TypeError):
            raise _fail("float", value) from None
    if base is str:
        if isinstance(value, str):
            return value
        raise _fail("str", value)
    if base is bytes:
        if isinstance(value, str):
            return value.encode()
        raise _fail("bytes (text)", value)
    if base is dt.datetime or base is dt.date or base is dt.timedelta:
        return _parse_scalar(value, base)
    if issubclass(base, enum.Enum):
        return _parse_enum(value, base)
    if issubclass(base, Directory):
        if not isinstance(value, str):
            raise _fail("a directory path or URL", value)
        return _path_value(value, base, True)
    if issubclass(base, File):
        if not isinstance(value, str):
            raise _fail("a file path or URL", value)
        return _path_value(value, base, False)
    family = table_kind(base)
    if family is not None:
        if not isinstance(value, str):
            raise _fail("a CSV or Parquet file path or URL", value)
        cols = next((m for m in meta if isinstance(m, dict)), None)
        frame = _read_frame(value, PANDAS if family == SD else family, list(cols or ()) or None)
        return StructuredDataset(dataframe=frame) if family == SD else frame
    if _is_ndarray(base):
        return _parse_ndarray(value)
    if _is_pydantic(base):
        return _parse_pydantic(value, base)
    if dataclasses.is_dataclass(base) or _is_namedtuple(base):
        return _parse_record(value, base)
    raise BadValue(f"inputs of type {describe_type(tp)} cannot be given on the command line")


def _bad_type() -> Any:
    raise TypeError


def _parse_scalar(value: Any, base: type) -> Any:
    if base is dt.datetime:
        if not isinstance(value, str):
            raise _fail("an ISO-8601 datetime", value)
        s = value.strip()
        if s.lower() == "now":
            return dt.datetime.now(dt.UTC)
        try:
            return dt.datetime.fromisoformat(s)
        except ValueError:
            raise _fail("an ISO-8601 datetime (e.g. 2024-05-01T12:30:00)", value) from None
    if base is dt.date:
        if not isinstance(value, str):
            raise _fail("an ISO-8601 date", value)
        s = value.strip()
        if s.lower() == "today":
            return dt.date.today()
        try:
            return dt.date.fromisoformat(s)
        except ValueError:
            raise _fail("an ISO-8601 date (e.g. 2024-05-01)", value) from None
    if base is dt.timedelta:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return dt.timedelta(seconds=value)
        if not isinstance(value, str):
            raise _fail("a duration", value)
        try:
            return parse_duration(value)
        except (ValueError, OverflowError):
            raise _fail("a duration (seconds, 1h30m, 500ms or PT1H30M)", value) from None


def _parse_enum(value: Any, base: type[enum.Enum]) -> Any:
    for m in base:
        if value == m.value or (isinstance(value, str) and value == str(m.value)):
            return m
    if isinstance(value, str) and value in base.__members__:
        return base.__members__[value]
    choices = ", ".join(str(m.value) for m in base)
    raise _fail(f"one of {choices}", value)


def _parse_union(value: Any, tp: Any) -> Any:
    args = typing.get_args(tp)
    has_none = type(None) in args
    if value is None and has_none:
        return None
    if has_none and isinstance(value, str) and value.strip().lower() in _NONE:
        return None
    others = [a for a in args if a is not type(None)]
    # Most specific first: a string variant accepts anything, so it is tried last.
    others.sort(key=lambda a: _strip_annotated(a)[0] is str)
    errors = []
    for variant in others:
        try:
            return parse_value(value, variant)
        except BadValue as e:
            errors.append(e)
    if len(errors) == 1:
        raise errors[0]
    raise _fail(describe_type(tp), value)


def _parse_generic(value: Any, tp: Any, origin: Any) -> Any:
    args = typing.get_args(tp)
    name = describe_type(tp)
    if isinstance(value, str):
        value = _json(value, name)
    if origin in (list, tuple, set, frozenset) or origin is typing.get_origin(list[int]):
        if not isinstance(value, list):
            raise _fail(f"{name} (a JSON array)", value)
        if origin is tuple:
            if len(args) == 2 and args[1] is Ellipsis:
                return tuple(_item(v, args[0], f"{name}[{i}]") for i, v in enumerate(value))
            if len(args) != len(value):
                raise _fail(f"{name} ({len(args)} items)", value)
            return tuple(
                _item(v, a, f"{name}[{i}]")
                for i, (v, a) in enumerate(zip(value, args, strict=True))
            )
        item = args[0] if args else Any
        items = [_item(v, item, f"item {i}") for i, v in enumerate(value)]
        return origin(items) if origin in (set, frozenset) else items
    if origin is dict:
        if not isinstance(value, dict):
            raise _fail(f"{name} (a JSON object)", value)
        kt, vt = args if args else (str, Any)
        return {_item(k, kt, f"key {k!r}"): _item(v, vt, f"key {k!r}") for k, v in value.items()}
    if _is_ndarray(origin):
        return _parse_ndarray(value)
    raise BadValue(f"inputs of type {name} cannot be given on the command line")


def _item(value: Any, tp: Any, where: str) -> Any:
    # dict keys are always JSON strings: parse them as the key type's text
    try:
        return parse_value(value, tp)
    except BadValue as e:
        raise BadValue(f"{where}: {e}") from None


def _parse_ndarray(value: Any) -> Any:
    import numpy as np

    if isinstance(value, str):
        s = value.strip()
        if s.startswith(("[", "{")) or not s.endswith(".npy"):
            value = _json(s, "a JSON array or an .npy file")
        else:
            p = Path(s).expanduser()
            if not p.is_file():
                raise _fail("a JSON array or an .npy file", value, "no such file")
            return np.load(p, allow_pickle=False)
    try:
        return np.asarray(value)
    except Exception as e:
        raise _fail("a numeric JSON array", value, str(e)) from None


def _parse_pydantic(value: Any, base: Any) -> Any:
    try:
        if isinstance(value, str):
            return base.model_validate_json(value)
        return base.model_validate(value)
    except Exception as e:
        errors = getattr(e, "errors", None)
        why = (
            "; ".join(
                f"{'.'.join(map(str, err.get('loc', ())))}: {err.get('msg')}" for err in errors()
            )
            if callable(errors)
            else str(e)
        )
        raise _fail(f"{describe_type(base)} as a JSON object", value, why) from None


def _parse_record(value: Any, base: Any) -> Any:
    name = describe_type(base)
    if isinstance(value, str):
        value = _json(value, name)
    if not isinstance(value, dict):
        raise _fail(f"{name} (a JSON object)", value)
    try:
        hints = typing.get_type_hints(base, include_extras=True)
    except Exception:
        hints = {}
    if dataclasses.is_dataclass(base):
        known = {f.name for f in dataclasses.fields(base) if f.init}
    else:
        known = set(base._fields)
    unknown = sorted(set(value) - known)
    if unknown:
        raise _fail(f"{name} (fields: {', '.join(sorted(known))})", value, f"unknown {unknown}")
    kwargs = {k: _item(v, hints.get(k, Any), f"field {k!r}") for k, v in value.items()}
    try:
        return base(**kwargs)
    except TypeError as e:
        raise _fail(f"{name} as a JSON object", value, str(e)) from None


def parse_text(text: str, literal_type: LiteralType) -> Any:
    """The literal of ``literal_type`` that ``text`` means (parsed as :func:`parse_value` parses
    the Python type guessed from the literal type), checked by the one validator the server
    checks launches with (``literal_problem``). Raises :class:`BadValue`."""
    from slipstream.errors import LiteralTypeError
    from slipstream.model import literal_problem

    from ._builtins import default_engine
    from ._guess import guess_python_type

    tp = guess_python_type(literal_type)
    value = parse_value(text, tp)
    try:
        literal = default_engine().to_literal(value, tp)
    except (LiteralTypeError, TypeError) as e:
        raise BadValue(f"expected {literal_type}, got {text!r} ({e})") from None
    problem = literal_problem(literal, literal_type)
    if problem is not None:
        raise BadValue(problem)
    return literal
