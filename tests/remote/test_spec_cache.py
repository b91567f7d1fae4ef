"""Re-registering unchanged code reuses the specs remembered by content hash, without importing
the user's modules; any change to the sources (or ``reuse_specs=False``) imports them again."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from live_server import LiveServer, unique

from slipstream.remote import Remote
from slipstream.remote._spec_cache import spec_cache_dir

MODULE = """
from pathlib import Path

from slipstream import task, workflow

with open({marker!r}, "a") as f:
    f.write("imported\\n")


@task
def double(x: int) -> int:
    return {factor} * x


@workflow
def pipeline(x: int = 3) -> int:
    return double(x=x)
"""


@pytest.fixture
def remote(server: LiveServer) -> Iterator[Remote]:
    with Remote(server.url, unique("sc"), "development") as r:
        assert r.default_project
        r.create_project(r.default_project)
        yield r


def _write(pkg: Path, marker: Path, factor: int) -> None:
    (pkg / "mod.py").write_text(MODULE.format(marker=str(marker), factor=factor))


def _forget(package: str) -> None:
    """Drop the package from sys.modules, so that an import would run its code again."""
    for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        del sys.modules[name]


def test_unchanged_code_is_not_imported_again(remote: Remote, tmp_path: Path) -> None:
    package = f"spk_{uuid.uuid4().hex[:10]}"
    pkg = tmp_path / "code" / package
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    marker = tmp_path / "imports.txt"
    _write(pkg, marker, 2)

    first = remote.register(pkg)
    assert not first.specs_reused and len(first.created) == 3
    assert marker.read_text().count("imported") == 1
    assert len(list(spec_cache_dir().glob("*.json"))) == 1

    _forget(package)
    again = remote.register(pkg)
    assert again.specs_reused and again.created == () and len(again.unchanged) == 3
    assert marker.read_text().count("imported") == 1  # not imported
    assert package + ".mod" not in sys.modules

    _write(pkg, marker, 3)  # the code changed: imported again, a new version
    changed = remote.register(pkg)
    assert not changed.specs_reused and len(changed.created) == 3
    assert changed.version != first.version
    assert marker.read_text().count("imported") == 2

    _forget(package)
    forced = remote.register(pkg, reuse_specs=False)
    assert not forced.specs_reused and len(forced.unchanged) == 3
    assert marker.read_text().count("imported") == 3


def test_an_unreadable_cache_entry_is_ignored(remote: Remote, tmp_path: Path) -> None:
    package = f"spk_{uuid.uuid4().hex[:10]}"
    pkg = tmp_path / "code" / package
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    marker = tmp_path / "imports.txt"
    _write(pkg, marker, 5)
    remote.register(pkg)
    for entry in spec_cache_dir().glob("*.json"):
        entry.write_text("{not json")
    _forget(package)
    again = remote.register(pkg)
    assert not again.specs_reused and len(again.unchanged) == 3
    assert marker.read_text().count("imported") == 2
    again = remote.register(pkg)
    assert again.specs_reused


def test_code_root_walk_matches_the_sdk(tmp_path: Path) -> None:
    from slipstream.remote._discover import _code_root
    from slipstream.sdk import package_root

    nested = tmp_path / "top" / "pkg" / "sub"
    nested.mkdir(parents=True)
    for d in (tmp_path / "top" / "pkg", nested):
        (d / "__init__.py").write_text("")
    for f in (nested / "mod.py", tmp_path / "top" / "script.py", nested / "__init__.py"):
        f.write_text("")
        assert _code_root(f) == package_root(str(f))[0]


def test_an_edit_of_discovery_changes_the_cache_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Which entities a file registers is decided by discovery (``remote/_discover.py``), so
    specs remembered before an edit of it are not reused after."""
    from slipstream.remote import _spec_cache

    seen: list[str] = []
    real_stat = Path.stat

    def stat(self: Path, **kw: Any) -> Any:
        seen.append(self.name)
        return real_stat(self, **kw)

    monkeypatch.setattr(_spec_cache, "_fingerprint", None)
    monkeypatch.setattr(Path, "stat", stat)
    _spec_cache._slipstream_fingerprint()
    assert "_discover.py" in seen
