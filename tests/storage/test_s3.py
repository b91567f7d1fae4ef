"""The fsspec store against a real S3 API (moto's server), when moto and s3fs are installed."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from slipstream.errors import NotFoundError
from slipstream.storage import BlobStore, hash_bytes, hash_uri, open_store


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server_mod = pytest.importorskip("moto.server")
    pytest.importorskip("s3fs")
    server = server_mod.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_store(s3_endpoint: str) -> BlobStore:
    opts = {"key": "test", "secret": "test", "client_kwargs": {"endpoint_url": s3_endpoint}}
    bucket = f"b{uuid.uuid4().hex[:12]}"
    store = open_store(f"s3://{bucket}", **opts)
    store.fs.mkdir(bucket)  # type: ignore[attr-defined]
    return open_store(f"s3://{bucket}/prefix", **opts)


def test_s3_round_trip(s3_store: BlobStore, tmp_path: Path) -> None:
    uri = s3_store.join("x/y.bin")
    s3_store.put_bytes(uri, b"hello")
    assert s3_store.get_bytes(uri) == b"hello"
    assert s3_store.exists(uri)
    assert hash_uri(s3_store, uri) == hash_bytes(b"hello")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.txt").write_text("a")
    s3_store.put_dir(tmp_path / "d", s3_store.join("dir"))
    assert s3_store.walk_files(s3_store.join("dir")) == ["a.txt"]
    s3_store.get_dir(s3_store.join("dir"), tmp_path / "back")
    assert (tmp_path / "back" / "a.txt").read_text() == "a"
    with pytest.raises(NotFoundError, match="missing"):
        s3_store.get_bytes(s3_store.join("missing"))
