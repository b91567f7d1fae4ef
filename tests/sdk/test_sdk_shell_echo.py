"""flytekit's ShellTask, OutputLocation, kwtypes and Echo, written as flytekit programs are."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from slipstream import (
    CompileError,
    Directory,
    Echo,
    File,
    OutputLocation,
    ShellTask,
    conditional,
    current_context,
    kwtypes,
    task,
    workflow,
)

greet = ShellTask(
    name="greet",
    debug=True,
    script="""
    set -ex
    echo "hey it's me {inputs.x}" >> {outputs.j}
    """,
    inputs=kwtypes(x=str),
    output_locs=[OutputLocation(var="j", var_type=File, location="{inputs.x}.txt")],
)

process = ShellTask(
    name="process",
    script="""
    set -e
    mkdir -p {outputs.out}
    tr a-z A-Z < {inputs.f} > {outputs.out}/upper.txt
    ls {inputs.d} > {outputs.out}/listing.txt
    wc -c < {inputs.f} | tr -d ' ' > {outputs.size}
    """,
    inputs=kwtypes(f=File, d=Directory),
    output_locs=[
        OutputLocation(var="out", var_type=Directory, location="results"),
        OutputLocation(var="size", var_type=File, location="size.txt"),
    ],
)

failing = ShellTask(name="failing", script="echo 'disk full' >&2; exit 3")


@task
def make_inputs() -> Directory:
    d = Path(current_context().working_directory) / "photos"
    d.mkdir()
    for name in ("a.jpg", "b.jpg"):
        (d / name).write_text(name)
    return Directory(path=str(d))


@task
def summarize(out: Directory, size: File) -> list[str]:
    with open(os.path.join(out, "upper.txt")) as fh:
        upper = fh.read().strip()
    with open(os.path.join(out, "listing.txt")) as fh:
        listing = fh.read().split()
    with open(size) as fh:
        n = fh.read().strip()
    return [upper, *listing, n, os.path.basename(size.path)]


@workflow
def shell_wf(name: str) -> list[str]:
    f = greet(x=name)
    out, size = process(f=f, d=make_inputs())
    return summarize(out=out, size=size)


def test_shell_task_with_file_and_directory_inputs_and_outputs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert shell_wf(name="ada") == ["HEY IT'S ME ADA", "a.jpg", "b.jpg", "16", "size.txt"]
    printed = capsys.readouterr()
    # debug prints the script and its output on stderr, never on stdout
    assert 'echo "hey it\'s me ada"' in printed.err and "+ echo" in printed.err
    assert "echo" not in printed.out


def test_shell_task_output_keeps_the_location_name() -> None:
    f = greet(x="bob")
    assert os.path.basename(f.path) == "bob.txt"
    with open(f) as fh:
        assert fh.read() == "hey it's me bob\n"


def test_a_failing_script_fails_the_task_with_its_stderr() -> None:
    with pytest.raises(Exception, match=r"exited with code 3[\s\S]*disk full"):
        failing()


def test_a_placeholder_that_is_not_declared_is_a_compile_error() -> None:
    with pytest.raises(CompileError, match=r"\{inputs.y\}.*inputs: x"):
        ShellTask(name="typo", script="echo {inputs.y}", inputs=kwtypes(x=int))
    with pytest.raises(CompileError, match="File or Directory"):
        ShellTask(
            name="badout",
            script="true",
            output_locs=[OutputLocation(var="n", var_type=int, location="n.txt")],
        )


passthrough = Echo(name="passthrough", inputs=kwtypes(a=int))
pair = Echo(name="pair", inputs=kwtypes(a=int, b=str))


zero = Echo(name="zero", inputs=kwtypes(a=int))


@task
def double(a: int) -> int:
    return a * 2


@workflow
def echo_wf(a: int) -> tuple[int, str]:
    x = conditional("positive").if_(a > 0).then(passthrough(a=a)).else_().then(zero(a=0))
    n, s = pair(a=double(a=x), b="same")
    return n, s


def test_echo_returns_its_inputs() -> None:
    assert echo_wf(a=3) == (6, "same")
    assert echo_wf(a=-2) == (0, "same")
    assert [v.name for v in pair.python_interface.outputs] == ["a", "b"]
    assert passthrough(a=5) == 5
