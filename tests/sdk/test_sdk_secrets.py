"""Secrets as flytekit programs use them: Secret requests, current_context().secrets, _FSEC_ names
and files under SLIPSTREAM_HOME/secrets; a missing secret fails before the body; values never leak
into errors."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from slipstream import ConfigError, Secret, current_context, task, workflow

SECRET = "s3cr3t-value-9f8e"
ran: list[str] = []


@task(secret_requests=[Secret(group="db", key="password")])
def read_env_secret() -> int:
    ran.append("read_env_secret")
    return len(current_context().secrets.get("db", "password"))


@task(
    secret_requests=[
        Secret(group="api", key="token", mount_requirement=Secret.MountType.ENV_VAR),
        Secret(group="tls", key="cert", mount_requirement=Secret.MountType.FILE),
    ]
)
def use_mounts() -> list[str]:
    ctx = current_context()
    path = ctx.secrets.get_secrets_file("tls", "cert")
    with open(path) as fh:
        cert = fh.read()
    return [
        os.environ["_FSEC_API_TOKEN"],
        ctx.secrets.get_secrets_env_var("api", "token"),
        cert,
        ctx.secrets.api.token,
    ]


@task(secret_requests=[Secret(group="db", key="password")])
def leaky() -> int:
    raise RuntimeError(f"could not connect with {current_context().secrets.get('db', 'password')}")


@workflow
def env_wf() -> int:
    return read_env_secret()


@workflow
def leaky_wf() -> int:
    return leaky()


def test_secret_from_flytekit_env_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_FSEC_DB_PASSWORD", SECRET)
    assert env_wf() == len(SECRET)


def test_secret_files_under_home_and_mount_requirements(
    slipstream_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for group, key, value in (("api", "token", "tok-123"), ("tls", "cert", "CERT-DATA")):
        p = slipstream_home / "secrets" / group / key
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(value + "\n")
    monkeypatch.delenv("_FSEC_API_TOKEN", raising=False)
    assert use_mounts() == ["tok-123", "_FSEC_API_TOKEN", "CERT-DATA\n", "tok-123"]
    assert "_FSEC_API_TOKEN" not in os.environ  # exported for the attempt only


def test_a_missing_secret_fails_before_the_body_naming_it() -> None:
    ran.clear()
    with pytest.raises(ConfigError, match=r"secret 'db/password' not found.*_FSEC_DB_PASSWORD"):
        env_wf()
    assert ran == []


def test_a_secret_value_never_appears_in_the_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_FSEC_DB_PASSWORD", SECRET)
    with pytest.raises(RuntimeError) as info:
        leaky_wf()
    text = str(info.value) + "".join(getattr(info.value, "__notes__", []))
    assert SECRET not in text
    assert "could not connect with ***" in text


def test_secret_requests_carry_names_only() -> None:
    spec = read_env_secret.template.secrets[0]
    assert (spec.group, spec.key) == ("db", "password")
    with pytest.raises(ValueError, match="non-empty group"):
        Secret(group="")


@task
def reads_unrequested() -> int:
    return len(current_context().secrets.get("api", "token"))


@workflow
def unrequested_wf() -> int:
    return reads_unrequested()


@pytest.mark.parametrize("wf", [env_wf, unrequested_wf])
def test_a_missing_secrets_error_shows_the_users_frames_only(wf: Any) -> None:
    from slipstream.runners import execute_local

    run = execute_local(wf, {}, runner="inline")
    err = run.record.error
    assert err is not None and "not found" in err.message
    # missing before the body: no frame at all; missing in the body: the body's line only
    frames = [line for line in err.traceback.splitlines() if line.lstrip().startswith("File ")]
    if wf is env_wf:
        assert frames == []
    else:
        assert len(frames) == 1 and __file__ in frames[0] and "reads_unrequested" in frames[0]
