"""Tasks with ImageSpec environments, for the environment tests."""

from __future__ import annotations

from slipstream import ImageSpec, task, workflow


@task(container_image=ImageSpec(packages=["inflection==0.5.0"]))
def old() -> str:
    import inflection

    return str(inflection.__version__)


@task(container_image=ImageSpec(packages=["inflection==0.5.1"]))
def new() -> str:
    import inflection

    return str(inflection.__version__)


@task
def plain() -> str:
    try:
        import inflection  # noqa: F401
    except ImportError:
        return "cannot import inflection"
    return "imported inflection"


@workflow
def versions() -> tuple[str, str, str]:
    return old(), new(), plain()


@task(container_image=ImageSpec(packages=["inflection"], apt_packages=["git"]))
def with_apt() -> str:
    return "never"


@task(container_image=ImageSpec(packages=["slipstream-test-no-such-package-zz==9.9"]))
def unresolvable() -> str:
    return "never"
