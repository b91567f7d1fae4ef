"""A browser-like HTTP client of the console: it logs in with a one-time login link, and its
``post`` sends what the console's own pages send (their Origin and the session's CSRF token);
the example workflows as a package for a project."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx

from slipstream.remote import Remote

_CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
FLOWS = (Path(__file__).parent / "flows.py").read_text()


def flows_package(root: Path, project: str) -> Path:
    """The console's example workflows as a package of their own for ``project``."""
    package = root / f"pkg_{project.replace('-', '_')}"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "flows.py").write_text(FLOWS)
    return package


def csrf_of(html: str) -> str:
    """The CSRF token of a console page's forms."""
    found = _CSRF.search(html)
    assert found is not None, html[:500]
    return found.group(1)


def login_link(url: str, token: str) -> str:
    """A one-time console login link for the user of ``token``."""
    with Remote(url, token=token) as remote:
        return remote.access.login_link()


class ConsoleClient(httpx.Client):
    """An HTTP client logged in to the console as the user of ``token``."""

    def __init__(self, url: str, token: str, **kwargs: Any) -> None:
        super().__init__(base_url=url, timeout=30, follow_redirects=False, **kwargs)
        self.origin = url
        r = self.get(login_link(url, token))
        assert r.status_code == 303, r.text
        self.csrf = csrf_of(self.get("/console/projects").text)

    def __enter__(self) -> ConsoleClient:
        # already in use (logging in): nothing more to open; leaving the block closes it
        return self

    def post(self, url: Any, **kwargs: Any) -> httpx.Response:  # type: ignore[override]
        """POST as the console's own forms do (pass ``csrf=None`` or ``origin=None`` to leave
        either out)."""
        data = dict(kwargs.pop("data", None) or {})
        csrf = kwargs.pop("csrf", self.csrf)
        origin = kwargs.pop("origin", self.origin)
        if csrf is not None:
            data.setdefault("csrf", csrf)
        headers = dict(kwargs.pop("headers", None) or {})
        if origin is not None:
            headers.setdefault("Origin", origin)
        return super().post(url, data=data, headers=headers, **kwargs)
