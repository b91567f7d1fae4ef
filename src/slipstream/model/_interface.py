"""Typed interfaces of tasks, workflows and launch plans."""

from __future__ import annotations

from typing import Any

import msgspec

from ._literal_types import LiteralType

__all__ = ["Interface", "Variable"]


class Variable(msgspec.Struct, frozen=True, omit_defaults=True):
    """One input or output: its name, literal type, and (inputs only) an optional default literal."""

    name: str
    type: LiteralType
    description: str = ""
    has_default: bool = False
    default: Any = None


class Interface(msgspec.Struct, frozen=True, omit_defaults=True):
    """Ordered inputs and outputs. Outputs of a plain tuple are named ``o0``, ``o1``..."""

    inputs: tuple[Variable, ...] = ()
    outputs: tuple[Variable, ...] = ()
    output_tuple_name: str = ""
    """When set, the outputs came from a ``typing.NamedTuple`` of that name."""

    def input(self, name: str) -> Variable | None:
        """The input called ``name``, or None."""
        for v in self.inputs:
            if v.name == name:
                return v
        return None

    def output(self, name: str) -> Variable | None:
        """The output called ``name``, or None."""
        for v in self.outputs:
            if v.name == name:
                return v
        return None

    def signature(self) -> str:
        """A stable text of the types, used in cache keys: a changed interface is a cache miss."""
        ins = ",".join(f"{v.name}:{v.type}" for v in self.inputs)
        outs = ",".join(f"{v.name}:{v.type}" for v in self.outputs)
        return f"({ins})->({outs})"
