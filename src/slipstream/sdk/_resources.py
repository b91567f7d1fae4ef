"""Resources, secrets and cache settings: the small value objects a task is decorated with."""

from __future__ import annotations

import msgspec

from slipstream.model import ResourceSpec, SecretRequest

__all__ = ["Cache", "Resources", "Secret"]


class Resources(msgspec.Struct, frozen=True):
    """CPU, memory, GPU and ephemeral storage, in Kubernetes' spelling (``cpu="2"``, ``mem="4Gi"``)."""

    cpu: str | int | float | None = None
    mem: str | None = None
    gpu: str | int | None = None
    ephemeral_storage: str | None = None

    def to_spec(self) -> ResourceSpec:
        """The wire form."""

        def s(v: object) -> str | None:
            return None if v is None else str(v)

        return ResourceSpec(
            cpu=s(self.cpu),
            mem=s(self.mem),
            gpu=s(self.gpu),
            ephemeral_storage=s(self.ephemeral_storage),
        )


class Secret(msgspec.Struct, frozen=True):
    """A secret the task needs, by ``group`` and ``key``; optionally exposed as ``env_var``."""

    group: str
    key: str | None = None
    env_var: str | None = None

    def to_spec(self) -> SecretRequest:
        """The wire form."""
        return SecretRequest(group=self.group, key=self.key, env_var=self.env_var)


class Cache(msgspec.Struct, frozen=True):
    """Cache settings: ``Cache(version="1", serialize=False, ignored_inputs=("seed",))``.

    Without a version, the hash of the task function's source is the version, so editing the task
    invalidates its cache.
    """

    version: str | None = None
    serialize: bool = False
    ignored_inputs: tuple[str, ...] | str = ()
