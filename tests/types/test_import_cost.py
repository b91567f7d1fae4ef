from __future__ import annotations

import subprocess
import sys

HEAVY = ("pandas", "numpy", "pyarrow", "polars", "pydantic", "fsspec", "cloudpickle")


def test_importing_types_and_building_codecs_imports_no_heavy_library() -> None:
    code = (
        "import sys, dataclasses, datetime, typing\n"
        "import slipstream.types as t\n"
        "from slipstream.types import StructuredDataset, kwtypes\n"
        "@dataclasses.dataclass\n"
        "class P:\n"
        "    x: int\n"
        "    f: t.File | None = None\n"
        "e = t.default_engine()\n"
        "for tp in (int, P, list[P], dict[str, float], datetime.datetime, typing.Any,\n"
        "           typing.Annotated[StructuredDataset, kwtypes(a=int)]):\n"
        "    e.codec(tp)\n"
        "e.to_literal(P(1), P)\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
