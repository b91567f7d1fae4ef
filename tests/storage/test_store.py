from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from slipstream.errors import NotFoundError, StorageError
from slipstream.storage import BlobStore, LocalBlobStore, open_store


def test_put_get_bytes_and_exists(store: BlobStore) -> None:
    uri = store.join("a", "b/c.bin")
    assert uri == store.root + "/a/b/c.bin"
    assert not store.exists(uri)
    store.put_bytes(uri, b"data")
    assert store.exists(uri)
    assert store.get_bytes(uri) == b"data"
    store.put_bytes(uri, b"new")
    assert store.get_bytes(uri) == b"new"


def test_files_and_dirs_round_trip(store: BlobStore, tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "x.txt").write_text("x")
    (src / "sub" / "y.txt").write_text("y")
    store.put_file(src / "x.txt", store.join("f/x.txt"))
    store.get_file(store.join("f/x.txt"), tmp_path / "out" / "x.txt")
    assert (tmp_path / "out" / "x.txt").read_text() == "x"

    d = store.join("d")
    store.put_dir(src, d)
    assert store.is_dir(d)
    assert store.walk_files(d) == ["sub/y.txt", "x.txt"]
    assert store.ls(d) == [d + "/sub", d + "/x.txt"]
    store.get_dir(d, tmp_path / "back")
    assert (tmp_path / "back" / "sub" / "y.txt").read_text() == "y"

    with store.open(store.join("g.txt"), "wb") as f:
        f.write(b"streamed")
    with store.open(store.join("g.txt"), "rb") as f:
        assert f.read() == b"streamed"

    store.delete(d)
    assert not store.exists(d)
    store.delete(d)  # deleting nothing is fine


def test_missing_blobs_raise_not_found_with_uri(store: BlobStore, tmp_path: Path) -> None:
    uri = store.join("nope.bin")
    with pytest.raises(NotFoundError, match=r"nope.bin"):
        store.get_bytes(uri)
    with pytest.raises(NotFoundError, match=r"nope.bin"):
        store.get_file(uri, tmp_path / "x")
    with pytest.raises(NotFoundError, match="nope"):
        store.walk_files(store.join("nope"))
    with pytest.raises(NotFoundError, match=r"missing.txt"):
        store.put_file(tmp_path / "missing.txt", uri)


def test_local_store_uris_and_local_path(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s"))
    assert isinstance(store, LocalBlobStore)
    assert store.root == "file://" + (tmp_path / "s").as_posix()
    assert open_store(store.root) is store  # cached per normalized URL
    uri = store.join("x.txt")
    assert store.local_path(uri) == tmp_path / "s" / "x.txt"
    with pytest.raises(StorageError, match="s3://b/x"):
        store.local_path("s3://b/x")


def test_memory_store_has_no_local_path() -> None:
    store = open_store("memory://no-local")
    assert store.local_path(store.join("x")) is None
    assert open_store("memory://no-local/") is store


def test_local_writes_are_atomic(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s"))
    uri = store.join("big.bin")
    f = store.open(uri, "wb")
    f.write(b"partial")
    assert not store.exists(uri)  # not visible before close
    f.close()
    assert store.get_bytes(uri) == b"partial"
    with pytest.raises(RuntimeError), store.open(uri, "wb") as g:
        g.write(b"broken")
        raise RuntimeError("boom")
    assert store.get_bytes(uri) == b"partial"
    assert [p.name for p in (tmp_path / "s").iterdir()] == ["big.bin"]  # no temp left


def test_local_store_does_not_import_fsspec(tmp_path: Path) -> None:
    code = (
        "import sys; from slipstream.storage import open_store; "
        f"s = open_store({str(tmp_path)!r}); s.put_bytes(s.join('a'), b'x'); "
        "s.get_bytes(s.join('a')); "
        "assert 'fsspec' not in sys.modules, 'fsspec imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
