from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pandas as pd

from slipstream.model import hash_literals
from slipstream.types import Directory, File, TypeContext, TypeEngine, fill_hashes


@dataclasses.dataclass
class Bundle:
    files: list[File]
    folder: Directory | None
    table: pd.DataFrame
    extra: dict[str, Any]


def test_fill_hashes_keys_on_contents(engine: TypeEngine, ctx: TypeContext, tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "x").write_text("x")
    (tmp_path / "f").write_text("same")
    value = Bundle([File(tmp_path / "f")], Directory(tmp_path / "d"), pd.DataFrame({"a": [1]}), {})
    lt = engine.literal_type(Bundle)
    one = fill_hashes(engine.to_literal(value, Bundle, ctx), lt, ctx.store)
    two = fill_hashes(engine.to_literal(value, Bundle, ctx), lt, ctx.store)
    assert one["files"][0]["uri"] != two["files"][0]["uri"]  # two uploads...
    assert one["files"][0]["hash"] == two["files"][0]["hash"]  # ...same contents
    assert one["folder"]["v"]["hash"] == two["folder"]["v"]["hash"]
    assert "hash" in one["table"]

    def keyed(lit: Any) -> Any:
        return {
            "files": [f["hash"] for f in lit["files"]],
            "folder": lit["folder"]["v"]["hash"],
            "table": lit["table"]["hash"],
        }

    assert hash_literals(keyed(one)) == hash_literals(keyed(two))
