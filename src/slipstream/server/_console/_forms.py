"""The launch form: one field per input of a launch plan's interface, chosen by its literal type,
and the parsing of what was typed, field by field, with the same typed parser as the CLI's
inputs (so a value means the same in a terminal and in the console).

The browser checks what it can before sending (numbers, required fields, JSON syntax; see
``static/console.js``); the server parses every field again and answers the form with one
message per bad field, having started nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from slipstream.model import Interface, Kind, LaunchPlanSpec, LiteralType, type_str

__all__ = ["FormField", "fields_of", "parse_form", "parse_labels", "text_of"]

_TEXT_KINDS = {Kind.STR, Kind.DATETIME, Kind.DATE, Kind.DURATION, Kind.BYTES}
_JSON_KINDS = {Kind.LIST, Kind.DICT, Kind.STRUCT, Kind.UNION, Kind.ANY, Kind.NDARRAY}


@dataclass(frozen=True)
class FormField:
    """One input of the form."""

    name: str
    type: LiteralType
    widget: str
    """int, float, bool, enum, json, file, or text."""
    value: str
    """What the field holds at first: the default, as text."""
    required: bool
    description: str = ""
    choices: tuple[str, ...] = ()

    @property
    def type_label(self) -> str:
        """The type as people read it."""
        return type_str(self.type)


def _widget(tp: LiteralType) -> str:
    if tp.kind is Kind.INT:
        return "int"
    if tp.kind is Kind.FLOAT:
        return "float"
    if tp.kind is Kind.BOOL:
        return "bool"
    if tp.kind is Kind.ENUM:
        return "enum"
    if tp.kind in (Kind.FILE, Kind.DIR, Kind.DATASET):
        return "file"
    if tp.kind in _JSON_KINDS:
        return "json"
    return "text"


def text_of(literal: Any, tp: LiteralType) -> str:
    """A literal as its field shows it (what the typed parser reads back as the same value)."""
    if literal is None:
        return ""
    if tp.kind is Kind.UNION and isinstance(literal, dict) and set(literal) == {"$u", "v"}:
        variant = next((a for a in tp.args if a.tag == literal["$u"]), None)
        if variant is not None:
            return text_of(literal["v"], variant)
    if tp.kind in _TEXT_KINDS | {Kind.ENUM} and isinstance(literal, str):
        return literal
    if tp.kind in (Kind.FILE, Kind.DIR, Kind.DATASET) and isinstance(literal, dict):
        return str(literal.get("uri", ""))
    return json.dumps(literal)


def fields_of(interface: Interface, lp: LaunchPlanSpec | None) -> list[FormField]:
    """The form's fields: inputs the launch plan does not fix, defaults filled in."""
    fixed = lp.fixed_inputs if lp is not None else {}
    defaults = dict(lp.default_inputs) if lp is not None else {}
    out = []
    for v in interface.inputs:
        if v.name in fixed:
            continue
        default = defaults.get(v.name, v.default if v.has_default else None)
        has_default = v.name in defaults or v.has_default
        out.append(
            FormField(
                name=v.name,
                type=v.type,
                widget=_widget(v.type),
                value=text_of(default, v.type) if has_default else "",
                required=not has_default,
                description=v.description,
                choices=v.type.values,
            )
        )
    return out


def parse_form(
    fields: list[FormField], form: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The literals of the filled-in fields, and a message for each field that does not parse.

    An empty optional field takes its default (it is left out); a checkbox sends ``true`` when
    ticked and nothing otherwise.
    """
    from slipstream.types import BadValue, parse_text

    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for f in fields:
        text = form.get(f.name, "")
        if f.widget == "bool":
            text = "true" if text in ("true", "on", "1") else "false"
        if text == "" and f.widget != "bool":
            if f.required:
                errors[f.name] = f"{f.name} ({f.type_label}) is required"
            continue
        if f.widget == "bool" and not f.required and text == f.value:
            continue
        try:
            values[f.name] = parse_text(text, f.type)
        except (BadValue, ValueError, TypeError) as e:
            errors[f.name] = f"{f.name} ({f.type_label}): {e}"
    return values, errors


def parse_labels(text: str) -> tuple[dict[str, str], str]:
    """The labels typed as ``key=value, key=value``, and what is wrong with them (empty: none)."""
    labels: dict[str, str] = {}
    for part in (p.strip() for p in text.replace("\n", ",").split(",")):
        if not part:
            continue
        key, eq, value = part.partition("=")
        if not eq or not key.strip():
            return {}, f"labels: {part!r} is not key=value"
        labels[key.strip()] = value.strip()
    return labels, ""
