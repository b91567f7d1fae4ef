"""The Python environment a task asks for, as it travels with the task's template.

It is what an ``ImageSpec`` says, resolved on the author's machine: the requirements file is read
there and its lines kept, so that a server or a Ray cluster that never sees the author's files can
build the same environment. Runners key what they build by :func:`slipstream.runners.env_key`, the
hash of this struct.
"""

from __future__ import annotations

import msgspec

__all__ = ["EnvironmentSpec"]


class EnvironmentSpec(msgspec.Struct, frozen=True, omit_defaults=True):
    """Packages (pip requirement specifiers, in the given order), the lines of a requirements file,
    a Python version (``"3.11"``; empty: the runner's own), environment variables, and what only an
    image build can give (``apt_packages``, ``base_image``: refused by runners that build no
    images)."""

    name: str = ""
    python_version: str = ""
    packages: tuple[str, ...] = ()
    requirements: tuple[str, ...] = ()
    env: dict[str, str] = {}
    apt_packages: tuple[str, ...] = ()
    base_image: str = ""
