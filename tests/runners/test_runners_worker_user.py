"""A pool with isolation: its workers are another OS user in a private directory, without the
server's descriptors, environment or secrets, and what they report is confined to their attempt.

Needs root (the pool switches users); skipped otherwise.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from runner_requests import MakeRequest, wait_for

from slipstream.model import AttemptResult, ExecutionId, TaskTemplate
from slipstream.runners import LocalRunner
from slipstream.runners._confine import confine
from slipstream.runners._privileges import WorkerIsolation
from slipstream.sdk import TASKS

pytestmark = pytest.mark.skipif(
    not hasattr(os, "getuid") or os.getuid() != 0, reason="switching users needs root"
)

USER = "slipstream-worker"

FLOWS = Path(__file__).parents[1] / "server" / "flows" / "isolation.py"
PROBES = textwrap.dedent(
    """
    import os

    from isolation import probe
    from slipstream import Secret, current_context, task


    @task
    def whoami() -> str:
        import json

        fds = sorted(int(fd) for fd in os.listdir("/proc/self/fd"))
        return json.dumps({
            "uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups(),
            "cwd": os.getcwd(), "home": os.environ.get("HOME"), "tmp": os.environ.get("TMPDIR"),
            "env": sorted(k for k in os.environ if "TOKEN" in k or "SECRET" in k or "FSEC" in k
                          or k == "SLIPSTREAM_DB"),
            "fds": len(fds), "pid": os.getpid(),
            "dumpable": __import__("ctypes").CDLL(None).prctl(3, 0, 0, 0, 0),
        })


    @task(secret_requests=[Secret(group="db", key="password")])
    def use_secret() -> str:
        ctx = current_context()
        return ctx.secrets.get("db", "password") + "|" + open(
            ctx.secrets.get_secrets_file("db", "password")).read()


    @task(secret_requests=[Secret(group="../../admin-token")])
    def escape_secret() -> str:
        return current_context().secrets.get("../../admin-token")
    """
)


def _worker_ids() -> tuple[int, int]:
    try:
        pw = pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--user-group", USER], check=True
        )
        pw = pwd.getpwnam(USER)
    return pw.pw_uid, pw.pw_gid


def _templates(root: Path) -> dict[str, TaskTemplate]:
    shutil.copy(FLOWS, root / "isolation.py")
    (root / "iso_probes.py").write_text(PROBES)
    sys.path.insert(0, str(root))
    try:
        import iso_probes

        return {
            name: getattr(iso_probes, name).template
            for name in ("probe", "whoami", "use_secret", "escape_secret")
        }
    finally:
        sys.path.remove(str(root))
        for name in ("iso_probes", "isolation"):
            sys.modules.pop(name, None)
        for key in [k for k in TASKS if k[0] in ("iso_probes", "isolation")]:
            del TASKS[key]


def _server_home(root: Path) -> Path:
    """What a server keeps: a token, a database, secrets of two projects."""
    home = root / "home"
    home.mkdir(mode=0o700)
    (home / "admin-token").write_text("ss_admin_secret\n")
    (home / "slipstream.db").write_text("rows")
    for project, value in (("a", "a-password"), ("b", "b-password")):
        folder = home / "secrets" / "projects" / project / "development" / "db"
        folder.mkdir(parents=True)
        (folder / "password").write_text(value + "\n")
    os.chmod(home / "secrets", 0o700)
    return home


def _value(result: AttemptResult) -> Any:
    assert result.ok, result.error
    assert result.outputs is not None
    return result.outputs["o0"]


def test_workers_are_another_user_without_the_servers_secrets(
    shared_tmp: Path, make_request: MakeRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    uid, gid = _worker_ids()
    templates = _templates(shared_tmp)
    home = _server_home(shared_tmp)
    work = shared_tmp / "work"
    work.mkdir(mode=0o711)
    monkeypatch.setenv("SLIPSTREAM_TOKEN", "ss_from_env")
    monkeypatch.setenv("_FSEC_DB_PASSWORD", "server-env-password")
    iso = WorkerIsolation(str(work), str(home / "secrets"), uid, gid)
    a = ExecutionId("a", "development", "e1")
    b = ExecutionId("b", "development", "e2")
    paths = [
        str(home / "admin-token"),
        str(home / "slipstream.db"),
        str(home),
        str(home / "secrets" / "projects" / "b" / "development" / "db" / "password"),
        str(work),
    ]
    with open(home / "slipstream.db") as held:  # a descriptor the server holds
        paths.append(f"/proc/self/fd/{held.fileno()}")
        requests = [
            make_request(templates["whoami"], code_root=str(shared_tmp), execution=a),
            make_request(
                templates["probe"], {"paths": paths}, code_root=str(shared_tmp), execution=a
            ),
            make_request(templates["use_secret"], code_root=str(shared_tmp), execution=a),
            make_request(templates["use_secret"], code_root=str(shared_tmp), execution=b),
            make_request(templates["escape_secret"], code_root=str(shared_tmp), execution=a),
        ]
        with LocalRunner(workers=1, isolation=iso) as runner:
            for r in requests:
                runner.submit(r)
            results = {r.node: r for r in wait_for(runner, len(requests))}
            privates = [(p.stat().st_mode & 0o777, p.stat().st_uid) for p in work.iterdir()]
    me, probed, mine, theirs, escape = (results[r.node] for r in requests)
    who = json.loads(_value(me))
    assert who["uid"] == uid and who["gid"] == gid and who["groups"] == []
    assert who["cwd"] == who["home"] == who["tmp"]
    assert Path(who["cwd"]).parent == work and Path(who["cwd"]).name.startswith("local-0-")
    assert who["dumpable"] == 0  # its /proc entries are closed to the other workers
    assert who["env"] == []
    assert who["fds"] <= 5, who  # stdin/out/err, its pipe, the listing itself
    assert [p.split(":")[0] for p in _value(probed)] == ["denied"] * 6, _value(probed)
    assert _value(mine) == "a-password|a-password"
    assert _value(theirs) == "b-password|b-password"
    assert not escape.ok and escape.error is not None
    assert "bad secret group" in escape.error.message
    assert privates == [(0o700, uid)]  # b's attempt got a fresh worker; the first one's went
    assert list(work.iterdir()) == []  # closed: no worker folder left
    assert (home / "admin-token").read_text() == "ss_admin_secret\n"  # nothing changed


def test_a_result_is_confined_to_its_attempt(shared_tmp: Path, make_request: MakeRequest) -> None:
    req = make_request(
        _templates(shared_tmp)["whoami"], execution=ExecutionId("a", "development", "e1")
    )
    folder = req.output_prefix.rsplit("/", 1)[0]
    forged = AttemptResult(
        "n999", 7, True, outputs_uri=f"{folder}/../../../b/x/outputs.json",
        log_uri="file:///etc/passwd", exception=b"pickle", execution=ExecutionId("b", "production", "e9"),
    )  # fmt: skip
    confine(forged, req)
    assert (forged.node, forged.attempt, forged.execution) == (req.node, 1, req.execution)
    assert not forged.ok and forged.error is not None and forged.error.code == "bad_result"
    assert forged.exception == b"" and forged.log_uri == ""
    honest = AttemptResult("x", 1, True, outputs_uri=f"{req.output_prefix}/outputs.json")
    confine(honest, req)
    assert honest.ok and honest.outputs_uri == f"{req.output_prefix}/outputs.json"


def test_a_worker_serves_one_project_and_domain(
    shared_tmp: Path, make_request: MakeRequest
) -> None:
    uid, gid = _worker_ids()
    templates = _templates(shared_tmp)
    work = shared_tmp / "work"
    work.mkdir(mode=0o711)
    iso = WorkerIsolation(str(work), str(shared_tmp / "secrets"), uid, gid)
    a, b = ExecutionId("a", "development", "e1"), ExecutionId("b", "development", "e2")
    order = [a, b, a, a, ExecutionId("a", "production", "e3")]
    requests = [
        make_request(templates["whoami"], code_root=str(shared_tmp), execution=e) for e in order
    ]
    with LocalRunner(workers=1, isolation=iso) as runner:
        for r in requests:  # all at once: b waits until the one worker drains a's
            runner.submit(r)
        results = {r.node: r for r in wait_for(runner, len(requests))}
    pids = [json.loads(_value(results[r.node]))["pid"] for r in requests]
    assert pids[0] == pids[2] == pids[3]  # a's attempts share a warm worker
    assert len({pids[0], pids[1], pids[4]}) == 3  # b, and a's other domain, get fresh ones


@pytest.mark.parametrize(
    "line",
    ["-r /srv/home/admin-token", "--index-url http://x/", "./pkg", "/abs/pkg", "~/pkg",
     "pkg @ file:///srv/home/admin-token", "pkg @ ../up", "pkg==${SLIPSTREAM_TOKEN}"],
)  # fmt: skip
def test_a_server_builds_no_environment_from_local_sources(line: str) -> None:
    from slipstream.errors import EnvironmentBuildError
    from slipstream.model import EnvironmentSpec
    from slipstream.runners._privileges import refuse_local_sources

    with pytest.raises(EnvironmentBuildError, match="names an option, a local path"):
        refuse_local_sources(EnvironmentSpec(packages=("inflection==0.5.1", line)), "t")
    refuse_local_sources(
        EnvironmentSpec(packages=("inflection==0.5.1", "pkg @ https://x/p.whl")), "t"
    )
