"""``slipstream auth`` against a real server: the home's token, users, grants, token lifecycle."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from live_server import LiveServer, live, unique

from slipstream.cli import main


@pytest.fixture(scope="module")
def server() -> LiveServer:
    return live("sqlite")


def run(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def test_auth_commands(server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    # on the server's machine, with its home: no set-up at all
    monkeypatch.delenv("SLIPSTREAM_TOKEN", raising=False)
    monkeypatch.setenv("SLIPSTREAM_HOME", str(server.home))
    monkeypatch.setenv("SLIPSTREAM_ENDPOINT", server.url)
    assert run("auth", "token").strip() == server.token
    assert run("auth", "whoami").strip() == "admin: admin@*"

    project = unique("ac")
    run("project", "create", project)
    user = unique("bob")
    assert "created" in run("auth", "create-user", user)
    assert "error [conflict]" in run("auth", "create-user", user, code=1)
    granted = run("auth", "grant", user, "editor", "-p", project, "-d", "development")
    assert f"editor@{project}/development" in granted
    assert "Invalid value" in run("auth", "grant", user, "owner", "-p", project, code=2)

    made = json.loads(
        run("auth", "token", "create", "--user", user, "--expires-in", "2h", "--json")
    )
    token = made["token"]
    assert made["info"]["user"] == user and made["info"]["expires_at"] > made["info"]["created_at"]
    listed = json.loads(run("auth", "token", "list", "--user", user, "--json"))
    assert [t["id"] for t in listed] == [made["info"]["id"]]
    assert token not in json.dumps(listed)
    users = json.loads(run("auth", "users", "--json"))
    assert any(u["name"] == user for u in users)

    # the new user's token, from --token and from SLIPSTREAM_TOKEN
    assert run("auth", "whoami", "--token", token).startswith(f"{user}: editor@{project}")
    monkeypatch.setenv("SLIPSTREAM_TOKEN", token)
    assert run("auth", "token").strip() == token
    refused = run("auth", "users", code=1)
    assert "error [forbidden]" in refused and "admin role" in refused
    # a token that expires cannot make one that outlives it
    outliving = run("auth", "token", "create", "--description", "forever", code=1)
    assert "error [forbidden]" in outliving and "outlive" in outliving
    own = run("auth", "token", "create", "--description", "laptop", "--expires-in", "1h")
    assert own.strip().splitlines()[-1].startswith("ss_") and "shown once" in own
    monkeypatch.delenv("SLIPSTREAM_TOKEN")

    assert "revoked" in run("auth", "token", "revoke", token)
    denied = run("auth", "whoami", "--token", token, code=1)
    assert "error [unauthenticated]" in denied and "revoked" in denied
    assert "no roles" in run("auth", "revoke", user, "-p", project, "-d", "development")
    assert "--expires-in" in run("auth", "token", "create", "--expires-in", "soon", code=2)


def test_token_from_the_config_file(
    server: LiveServer, monkeypatch: pytest.MonkeyPatch, slipstream_home: Path
) -> None:
    monkeypatch.delenv("SLIPSTREAM_TOKEN", raising=False)
    run("config", "init", "--endpoint", server.url, "--token", server.token)
    path = slipstream_home / "config.toml"
    assert path.stat().st_mode & 0o077 == 0 and server.token in path.read_text()
    assert run("auth", "whoami").startswith("admin:")
    (slipstream_home / "config.toml").write_text(f'[client]\nendpoint = "{server.url}"\n')
    missing = run("auth", "whoami", code=1)
    assert "error [unauthenticated]" in missing and "needs a token" in missing
    assert "no token" in run("auth", "token", code=1)
