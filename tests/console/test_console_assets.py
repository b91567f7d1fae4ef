"""The console's vendored front-end files are the released ones named in VENDORED.json (there is
no front-end build: this check is what keeps them current), and every template compiles."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import slipstream.server._console as console

ROOT = Path(console.__file__).parent


def test_vendored_files_match_their_manifest() -> None:
    manifest = json.loads((ROOT / "static" / "VENDORED.json").read_text())
    assert set(manifest) == {"htmx.min.js", "dagre.min.js"}
    for name, entry in manifest.items():
        data = (ROOT / "static" / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], f"{name} changed"
        assert f'"{entry["version"]}"' in data.decode(), f"{name} is not version {entry['version']}"
        license_file = entry["license"].split("(")[1].rstrip(")")
        assert (ROOT / "static" / license_file).is_file()


def test_pages_load_nothing_from_elsewhere() -> None:
    for template in (ROOT / "templates").glob("*.html"):
        text = template.read_text()
        assert "http://" not in text and "https://" not in text, template.name


def test_every_template_compiles() -> None:
    from slipstream.server._console._render import environment

    env = environment()
    names = sorted(p.name for p in (ROOT / "templates").glob("*.html"))
    assert len(names) >= 15
    for name in names:
        env.get_template(name)
