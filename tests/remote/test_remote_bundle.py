"""Code bundles: the sources git would keep, in a reproducible archive."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

from slipstream.remote import build_bundle, source_files


def test_sources_honour_gitignore(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("secret.py\nbuild/\n")
    code = tmp_path / "proj"
    for rel in (
        "a.py",
        "secret.py",
        "notes.txt",
        "build/gen.py",
        "sub/b.py",
        "sub/local.py",
        ".hidden/c.py",
        "__pycache__/a.py",
    ):
        (code / rel).parent.mkdir(parents=True, exist_ok=True)
        (code / rel).write_text(f"# {rel}\n")
    (code / "sub" / ".gitignore").write_text("local.py\n")
    assert source_files(code) == ["a.py", "sub/b.py"]


def test_bundle_is_reproducible_and_content_addressed(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("x = 1\n")
    (tmp_path / "n.py").write_text("y = 2\n")
    first, second = build_bundle(tmp_path), build_bundle(tmp_path)
    assert first.digest == second.digest and first.data == second.data
    assert first.files == ("m.py", "n.py")
    with tarfile.open(fileobj=io.BytesIO(first.data), mode="r:gz") as tar:
        assert tar.getnames() == ["m.py", "n.py"]
        assert tar.getmember("m.py").mtime == 0
    (tmp_path / "m.py").write_text("x = 2\n")
    assert build_bundle(tmp_path).digest != first.digest
