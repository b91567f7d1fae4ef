"""Tasks that try the walls around a worker: what they could read comes back as their output."""

from __future__ import annotations

import os

from slipstream import File, Secret, current_context, eager, task, workflow


@task
def probe(paths: list[str]) -> list[str]:
    """For each path: ``listed:...`` or ``read:...`` with what was there, or ``denied:Error``."""
    out = []
    for p in paths:
        try:
            if os.path.isdir(p):
                out.append("listed:" + ",".join(sorted(os.listdir(p))))
            else:
                with open(p, "rb") as f:
                    out.append("read:" + f.read(40).decode(errors="replace"))
        except OSError as e:
            out.append("denied:" + type(e).__name__)
    return out


@task
def who() -> list[str]:
    """The worker's user id, directory and the variables it sees that could hold a secret."""
    seen = [k for k in os.environ if "TOKEN" in k or "SECRET" in k or k.startswith("_FSEC")]
    return [str(os.getuid()), os.getcwd(), os.environ.get("HOME", ""), ",".join(sorted(seen))]


@task(secret_requests=[Secret(group="db", key="password")])
def db_password() -> str:
    """The project's secret, as the task is granted it."""
    return str(current_context().secrets.get("db", "password"))


@task
def write_text(text: str) -> File:
    with open("note.txt", "w") as f:
        f.write(text)
    return File("note.txt")


@task
def read_text(f: File) -> str:
    with open(f) as fh:
        return fh.read()


@workflow
def try_paths(paths: list[str]) -> list[str]:
    return probe(paths=paths)


@workflow
def whoami() -> list[str]:
    return who()


@workflow
def my_secret() -> str:
    return db_password()


@workflow
def own_data(text: str) -> str:
    return read_text(f=write_text(text=text))


@eager
async def read_in_engine(path: str) -> str:
    """Would read ``path`` in the engine host's process, if a server ran eager bodies there."""
    with open(path) as f:
        return f.read()
