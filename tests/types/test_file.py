from __future__ import annotations

import os
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from slipstream.errors import LiteralTypeError, TypeTransformerError
from slipstream.model import Kind, LiteralType
from slipstream.storage import LocalBlobStore
from slipstream.types import Directory, File, TypeContext, TypeEngine

RoundTrip = Callable[..., tuple[Any, Any]]


@pytest.fixture
def src(tmp_path: Path) -> Path:
    p = tmp_path / "in" / "data.csv"
    p.parent.mkdir()
    p.write_text("a,b\n1,2\n")
    return p


def test_literal_types(engine: TypeEngine) -> None:
    assert engine.literal_type(File) == LiteralType(Kind.FILE)
    assert engine.literal_type(File["csv"]) == LiteralType(Kind.FILE, format="csv")
    assert engine.literal_type(File[typing.TypeVar("csv")]) == LiteralType(Kind.FILE, format="csv")
    assert File["csv"] is File["csv"] and issubclass(File["csv"], File)
    assert engine.literal_type(Directory) == LiteralType(Kind.DIR)


def test_upload_and_read(roundtrip: RoundTrip, ctx: TypeContext, src: Path) -> None:
    for value in (File(src), str(src), src):
        lit, f = roundtrip(value, File, ctx)
        assert lit["uri"].startswith(ctx.output_prefix) and lit["uri"].endswith(".csv")
        assert isinstance(f, File) and f.remote_source == lit["uri"]
        with open(f) as fh:  # os.PathLike
            assert fh.read() == "a,b\n1,2\n"
        assert Path(f.download()).read_text() == "a,b\n1,2\n"
        with f.open("r") as fh:
            assert fh.readline() == "a,b\n"


def test_local_store_reads_in_place(
    roundtrip: RoundTrip, local_ctx: TypeContext, src: Path
) -> None:
    lit, f = roundtrip(src, File, local_ctx)
    assert isinstance(local_ctx.store, LocalBlobStore)
    assert Path(f.path) == local_ctx.store.local_path(lit["uri"])  # no copy


def test_remote_store_downloads_lazily(roundtrip: RoundTrip, tmp_path: Path, src: Path) -> None:
    from slipstream.storage import open_store

    store = open_store("memory://lazy-files")
    ctx = TypeContext(store, store.join("out"), tmp_path / "scratch")
    _, f = roundtrip(src, File["csv"], ctx)
    assert type(f) is File["csv"]
    assert not Path(f.path).exists()  # not downloaded yet
    assert Path(os.fspath(f)).read_text() == src.read_text()
    assert Path(f.path).exists()


def test_blob_references_pass_without_copy(
    engine: TypeEngine, roundtrip: RoundTrip, ctx: TypeContext, src: Path
) -> None:
    lit, f = roundtrip(src, File, ctx)
    assert engine.to_literal(f, File, ctx) == lit  # a received file goes on by reference
    assert engine.to_literal(lit["uri"], File, ctx) == lit
    assert engine.to_literal(File(lit["uri"]), File, ctx) == lit


def test_remote_path_is_the_destination(engine: TypeEngine, ctx: TypeContext, src: Path) -> None:
    dest = ctx.store.join("chosen/place.csv")
    assert engine.to_literal(File(src, remote_path=dest), File, ctx) == {"uri": dest}
    assert ctx.store.exists(dest)


def test_list_of_files(roundtrip: RoundTrip, ctx: TypeContext, tmp_path: Path) -> None:
    paths = []
    for i in range(3):
        p = tmp_path / f"f{i}.txt"
        p.write_text(str(i))
        paths.append(p)
    lit, files = roundtrip([File(p) for p in paths], list[File], ctx)
    assert len({x["uri"] for x in lit}) == 3
    assert [Path(os.fspath(f)).read_text() for f in files] == ["0", "1", "2"]


def test_file_errors(engine: TypeEngine, ctx: TypeContext, tmp_path: Path, src: Path) -> None:
    with pytest.raises(LiteralTypeError, match="does not exist"):
        engine.to_literal(tmp_path / "missing.txt", File, ctx)
    with pytest.raises(LiteralTypeError, match=r"expected a File .or a path., got int"):
        engine.to_literal(3, File, ctx)
    with pytest.raises(LiteralTypeError, match=r"expected a File, got .*Directory"):
        engine.to_literal(Directory(tmp_path), File, ctx)
    with pytest.raises(TypeTransformerError, match="needs a TypeContext"):
        engine.to_literal(src, File, None)
    with pytest.raises(LiteralTypeError, match="File literal"):
        engine.to_python("x", File, ctx)


def test_directory_round_trip(roundtrip: RoundTrip, ctx: TypeContext, tmp_path: Path) -> None:
    d = tmp_path / "dir"
    (d / "sub").mkdir(parents=True)
    (d / "a.txt").write_text("a")
    (d / "sub" / "b.txt").write_text("b")
    lit, back = roundtrip(Directory(d), Directory, ctx)
    assert isinstance(back, Directory) and back.remote_source == lit["uri"]
    assert sorted(os.listdir(back)) == ["a.txt", "sub"]
    listing = back.listing()
    assert [Path(os.fspath(f)).read_text() for f in listing] == ["a", "b"]
    assert [f.remote_source for f in listing] == [lit["uri"] + "/a.txt", lit["uri"] + "/sub/b.txt"]
    assert roundtrip(str(d), Directory, ctx)[1].download()
    with pytest.raises(LiteralTypeError, match="not a directory"):
        roundtrip(d / "a.txt", Directory, ctx)


def test_user_file_referencing_remote_blob(ctx: TypeContext, src: Path) -> None:
    uri = ctx.store.join("given.csv")
    ctx.store.put_file(src, uri)
    f = File(uri)
    if ctx.store.local_path(uri) is None:
        assert f.remote_source == uri
    else:  # a file:// URI is just a local path
        assert f.path == str(ctx.store.local_path(uri))
    assert Path(f.download()).read_text() == src.read_text()
