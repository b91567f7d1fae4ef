"""A control plane (``slipstream server --no-engine``, authentication on) and data planes
(``slipstream engine --cluster NAME --endpoint URL``, each with its own home and store and no
database URL) that tests start, kill with SIGKILL and start again."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from engine_procs import FLOWS, Cluster, Proc, free_port, fresh_db


@dataclass
class Platform:
    """One control plane and its data planes, on one database."""

    db_url: str
    root: Path
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    procs: list[Proc] = field(default_factory=list)
    control: Proc | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def admin_token(self) -> str:
        return (self.root / "control" / "admin-token").read_text().strip()

    def start_control(self, *extra: str) -> Proc:
        """``slipstream server --no-engine`` (the control plane alone)."""
        if self.control is None:
            args = ["server", "--port", str(self.port), "--db", self.db_url, "--store",
                    (self.root / "control-data").as_uri(), "--no-engine", *extra]  # fmt: skip
            self.control = Proc(args, self.root / "control", dict(self.env))
            self.procs.append(self.control)
        self.control.start()
        self.wait_ready()
        return self.control

    wait_ready = Cluster.wait_ready  # the same /healthz wait (it reads url and procs)

    def cluster_token(self, cluster: str) -> str:
        with self.api() as api:
            r = api.post("/tokens", json={"scope": f"cluster:{cluster}"})
        assert r.status_code in (200, 201), r.text
        return str(r.json()["token"])

    def data_plane(self, name: str, cluster: str, token: str, *extra: str) -> Proc:
        """A data plane of ``cluster``: its own home and store, no database URL."""
        store = (self.root / f"plane-{name}" / "data").as_uri()
        args = ["engine", "--cluster", cluster, "--endpoint", self.url, "--token", token,
                "--store", store, "--workers", "2", *extra]  # fmt: skip
        p = Proc(args, self.root / f"plane-{name}" / "home", dict(self.env))
        self.procs.append(p)
        return p

    def api(self, token: str | None = None) -> httpx.Client:
        token = token or self.admin_token
        return httpx.Client(
            base_url=f"{self.url}/api/v1",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )

    def register(self, project: str = "proj", module: str = "durable") -> str:
        from slipstream.remote import Remote

        with Remote(self.url, project=project, domain="development", token=self.admin_token) as r:
            r.create_project(project)
            return r.register(FLOWS / f"{module}.py").version

    def launch(
        self,
        workflow: str,
        inputs: dict[str, Any],
        *,
        cluster: str = "",
        project: str = "proj",
        module: str = "durable",
    ) -> str:
        body: dict[str, Any] = {
            "target": {"resource_type": "workflow", "project": project, "domain": "development",
                       "name": f"{module}.{workflow}"},
            "inputs": inputs,
        }  # fmt: skip
        if cluster:
            body["cluster"] = cluster
        with self.api() as api:
            r = api.post("/executions", json=body)
            assert r.status_code == 201, r.text
            return str(r.json()["id"]["name"])

    def execution(self, name: str, project: str = "proj") -> dict[str, Any]:
        with self.api() as api:
            r = api.get(f"/executions/{project}/development/{name}")
            assert r.status_code == 200, r.text
            return dict(r.json())

    def wait_phase(self, name: str, phases: set[str], timeout: float = 90.0) -> dict[str, Any]:
        import time

        deadline = time.monotonic() + timeout
        rec: dict[str, Any] = {}
        while time.monotonic() < deadline:
            try:
                rec = self.execution(name)
            except (httpx.HTTPError, AssertionError):
                time.sleep(0.1)
                continue
            if rec.get("phase") in phases:
                return rec
            time.sleep(0.05)
        raise AssertionError(
            f"execution {name} not in {phases} after {timeout}s: {rec}\n{self.logs()}"
        )

    def logs(self) -> str:
        return "\n".join(f"--- {p.args[0]} {p.home.name}\n{p.output()[-3000:]}" for p in self.procs)

    def stop_all(self) -> None:
        for p in reversed(self.procs):
            p.stop()


@contextmanager
def platform(backend: str, tmp_path: Path, **env: str) -> Iterator[Platform]:
    with fresh_db(backend, tmp_path) as db_url:
        p = Platform(db_url, tmp_path, env={"SLIPSTREAM_LEASE_S": "2", **env})
        try:
            yield p
        finally:
            p.stop_all()
