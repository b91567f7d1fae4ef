from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from slipstream.errors import NotFoundError
from slipstream.storage import BlobStore, hash_bytes, hash_dir, hash_file, hash_uri


def _tree(root: Path, content: str = "b") -> Path:
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text("a")
    (root / "sub" / "b.txt").write_text(content)
    return root


def test_hash_bytes_and_file(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"abc")
    assert hash_bytes(b"abc") == hashlib.sha256(b"abc").hexdigest()
    assert hash_file(tmp_path / "f") == hash_bytes(b"abc")
    with pytest.raises(NotFoundError, match="nope"):
        hash_file(tmp_path / "nope")


def test_hash_dir_depends_on_contents_not_location(tmp_path: Path) -> None:
    one = hash_dir(_tree(tmp_path / "one"))
    assert one == hash_dir(_tree(tmp_path / "two"))
    assert one != hash_dir(_tree(tmp_path / "three", content="changed"))
    (tmp_path / "one" / "sub" / "b.txt").rename(tmp_path / "one" / "b.txt")
    assert hash_dir(tmp_path / "one") != one  # paths count


def test_hash_uri_matches_local_hashes(store: BlobStore, tmp_path: Path) -> None:
    tree = _tree(tmp_path / "t")
    store.put_dir(tree, store.join("d"))
    store.put_bytes(store.join("f"), b"abc")
    assert hash_uri(store, store.join("d")) == hash_dir(tree)
    assert hash_uri(store, store.join("f")) == hash_bytes(b"abc")
