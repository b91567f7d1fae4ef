from __future__ import annotations

from pathlib import Path

import pytest

from slipstream.errors import ConfigError
from slipstream.storage import (
    DataLayout,
    default_store_url,
    node_segment,
    open_store,
    slipstream_home,
)


def test_attempt_layout(tmp_path: Path) -> None:
    store = open_store(str(tmp_path))
    layout = DataLayout(store)
    assert layout.execution_prefix("p", "dev", "e1") == store.root + "/p/dev/e1"
    a = layout.attempt_prefix("p", "dev", "e1", "n3/dyn/n0", 2)
    assert a.prefix == store.root + "/p/dev/e1/n3/dyn/n0/2"
    assert a.inputs == a.prefix + "/inputs"
    assert a.outputs == a.prefix + "/outputs"
    assert a.checkpoint == a.prefix + "/checkpoint"
    assert a.logs == a.prefix + "/logs"
    assert layout.bundle_uri("abc123", ".zip") == store.root + "/bundles/abc123.zip"


def test_node_segments_are_safe_and_distinct() -> None:
    assert node_segment("n4[17]") == "n4@17"
    assert node_segment("n4[17]/n0[3]") == "n4@17/n0@3"
    assert node_segment("n1") == "n1"
    weird = ["a b", "..", "x[y]", "a~2", "n4@17", "n4[17]"]
    segs = [node_segment(w) for w in weird]
    assert len(set(segs)) == len(segs)
    for s in segs:
        assert all(c.isalnum() or c in "_.-~@/" for c in s)
        assert not s.startswith(".")
    with pytest.raises(ConfigError):
        node_segment("a//b")


def test_bad_names_are_rejected(tmp_path: Path) -> None:
    layout = DataLayout(open_store(str(tmp_path)))
    with pytest.raises(ConfigError, match="project"):
        layout.execution_prefix("../x", "d", "e")
    with pytest.raises(ConfigError, match="bundle hash"):
        layout.bundle_uri("a/b")


def test_home_and_default_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLIPSTREAM_HOME", str(tmp_path / "home"))
    assert slipstream_home() == tmp_path / "home"
    assert default_store_url() == "file://" + (tmp_path / "home" / "data").as_posix()
    monkeypatch.delenv("SLIPSTREAM_HOME")
    assert slipstream_home() == Path.home() / ".slipstream"
