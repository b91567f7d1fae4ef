"""flytekit's configuration objects over slipstream's client configuration.

``Config.auto()`` reads what every slipstream client reads (``SLIPSTREAM_ENDPOINT``,
``SLIPSTREAM_TOKEN``, the config file: :class:`ClientConfig`), and Flyte's ``FLYTE_PLATFORM_URL``
/ ``FLYTE_PLATFORM_INSECURE`` when slipstream's own variable is not set. ``SerializationSettings``,
``ImageConfig`` and ``Image`` are accepted and kept, but slipstream registers code bundles run in
environments, not container images, so nothing reads the images.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ._client import ClientConfig

__all__ = [
    "SANDBOX_ENDPOINT",
    "Config",
    "Image",
    "ImageConfig",
    "PlatformConfig",
    "SerializationSettings",
]

SANDBOX_ENDPOINT = "http://127.0.0.1:8080"
"""Where ``slipstream server`` listens by default (flytekit's sandbox is ``localhost:30080``)."""

_TRUE = ("1", "true", "yes", "on")


def _url(endpoint: str, insecure: bool) -> str:
    """An HTTP URL from a Flyte endpoint: ``dns:///host:port`` and bare ``host:port`` are plain
    HTTP when ``insecure`` (as Flyte's insecure means no TLS), else HTTPS; a URL stays as it is."""
    for prefix in ("dns:///", "dns://", "dns:"):
        if endpoint.startswith(prefix):
            endpoint = endpoint[len(prefix) :]
            break
    if endpoint.startswith(("http://", "https://")):
        return endpoint.rstrip("/")
    return f"{'http' if insecure else 'https'}://{endpoint}".rstrip("/")


@dataclass(frozen=True)
class PlatformConfig:
    """The server to talk to (flytekit's ``PlatformConfig``).

    ``endpoint`` is a URL or Flyte's ``host:port`` (plain HTTP when ``insecure``). ``token`` is
    slipstream's API token (else ``SLIPSTREAM_TOKEN``, the config file or the home's admin
    token). Flyte's authentication fields are accepted and unused: slipstream authenticates with
    bearer tokens only.
    """

    endpoint: str = "localhost:8080"
    insecure: bool = False
    insecure_skip_verify: bool = False
    console_endpoint: str | None = None
    client_id: str | None = None
    client_credentials_secret: str | None = field(default=None, repr=False)
    auth_mode: str = "Pkce"
    token: str | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """The endpoint as the HTTP URL slipstream's client speaks to."""
        return _url(self.endpoint, self.insecure)

    @classmethod
    def for_endpoint(cls, endpoint: str, insecure: bool = False) -> PlatformConfig:
        """The platform at ``endpoint``."""
        return cls(endpoint=endpoint, insecure=insecure)

    @classmethod
    def auto(cls, config_file: str | Path | None = None) -> PlatformConfig:
        """The platform :meth:`Config.auto` finds."""
        return Config.auto(config_file).platform


@dataclass(frozen=True)
class Config:
    """flytekit's ``Config``: what ``FlyteRemote`` connects with.

    ``secrets``, ``stats`` and ``data_config`` are accepted and kept; slipstream's server owns
    its blob store, so the client needs no data configuration. ``client`` is the slipstream
    client configuration it was read from (default project and domain), if any.
    """

    platform: PlatformConfig = field(default_factory=PlatformConfig)
    secrets: Any = None
    stats: Any = None
    data_config: Any = None
    local_sandbox_path: str | None = None
    client: ClientConfig | None = field(default=None, repr=False)

    def with_params(self, platform: PlatformConfig | None = None, **kw: Any) -> Config:
        """A copy with some parts replaced."""
        return replace(self, platform=platform or self.platform, **kw)

    @classmethod
    def auto(cls, config_file: str | Path | None = None) -> Config:
        """The server every slipstream client would use: ``SLIPSTREAM_ENDPOINT``, else
        ``FLYTE_PLATFORM_URL`` (``FLYTE_PLATFORM_INSECURE``), else the config file's
        ``[client]`` table (``config_file`` is a slipstream TOML config file, else
        ``$SLIPSTREAM_CONFIG`` or the home's ``config.toml``), else the local default server."""
        endpoint = None
        flyte = os.environ.get("FLYTE_PLATFORM_URL")
        if flyte and not os.environ.get("SLIPSTREAM_ENDPOINT"):
            insecure = os.environ.get("FLYTE_PLATFORM_INSECURE", "").lower() in _TRUE
            endpoint = _url(flyte, insecure)
        client = ClientConfig.load(
            endpoint, config_file=config_file, fallback_endpoint=SANDBOX_ENDPOINT
        )
        platform = PlatformConfig(
            endpoint=client.endpoint,
            insecure=client.endpoint.startswith("http://"),
            token=client.token,
        )
        return cls(platform=platform, client=client)

    @classmethod
    def for_endpoint(
        cls,
        endpoint: str,
        insecure: bool = False,
        data_config: Any = None,
        config_file: str | Path | None = None,
    ) -> Config:
        """The server at ``endpoint`` (a URL, or ``host:port``: plain HTTP when ``insecure``).
        The token still comes from ``SLIPSTREAM_TOKEN``, ``config_file`` or the default config
        file, or the home's admin token."""
        token = None
        client = None
        if config_file is not None:
            client = ClientConfig.load(_url(endpoint, insecure), config_file=config_file)
            token = client.token
        platform = PlatformConfig(endpoint=endpoint, insecure=insecure, token=token)
        return cls(platform=platform, data_config=data_config, client=client)

    @classmethod
    def for_sandbox(cls) -> Config:
        """The local ``slipstream server`` on its default port (Flyte's sandbox, here)."""
        return cls.for_endpoint(SANDBOX_ENDPOINT, insecure=True)


@dataclass(frozen=True)
class Image:
    """A container image by name (flytekit's ``Image``); kept, not used: slipstream runs tasks
    in environments built from their dependencies, not in images."""

    name: str
    fqn: str
    tag: str | None = None
    digest: str | None = None

    @property
    def full(self) -> str:
        """``fqn:tag`` or ``fqn@digest``."""
        if self.digest:
            return f"{self.fqn}@{self.digest}"
        return f"{self.fqn}:{self.tag}" if self.tag else self.fqn

    @classmethod
    def look_up_image_info(cls, name: str, image_identifier: str) -> Image:
        """An ``Image`` from ``repo/name:tag`` or ``repo/name@sha256:...``."""
        if "@" in image_identifier:
            fqn, digest = image_identifier.split("@", 1)
            return cls(name=name, fqn=fqn, digest=digest)
        head, _, tail = image_identifier.rpartition(":")
        if head and "/" not in tail:
            return cls(name=name, fqn=head, tag=tail)
        return cls(name=name, fqn=image_identifier)


@dataclass(frozen=True)
class ImageConfig:
    """flytekit's ``ImageConfig``: the default image and named others; kept, not used."""

    default_image: Image | None = None
    images: tuple[Image, ...] = ()

    def find_image(self, name: str) -> Image | None:
        """The image called ``name``, if any."""
        return next((i for i in (self.default_image, *self.images) if i and i.name == name), None)

    @classmethod
    def from_images(
        cls, default_image: str | None = None, m: dict[str, str] | None = None
    ) -> ImageConfig:
        """From image identifiers: the default one and ``name -> identifier``."""
        default = Image.look_up_image_info("default", default_image) if default_image else None
        images = tuple(Image.look_up_image_info(n, i) for n, i in (m or {}).items())
        return cls(default_image=default, images=images)

    @classmethod
    def auto(
        cls, config_file: str | Path | None = None, img_name: str | None = None
    ) -> ImageConfig:
        """An image configuration with ``img_name`` as the default image (if given)."""
        return cls.from_images(img_name)

    @classmethod
    def auto_default_image(cls) -> ImageConfig:
        """An image configuration with no image: slipstream needs none."""
        return cls()


@dataclass(frozen=True)
class SerializationSettings:
    """flytekit's ``SerializationSettings``: ``project``, ``domain`` and ``version`` are used by
    ``FlyteRemote.register_*``; the rest is kept and not used (slipstream registers the code
    bundle of the entity's code root, with no image)."""

    image_config: ImageConfig | None = None
    project: str | None = None
    domain: str | None = None
    version: str | None = None
    env: dict[str, str] | None = None
    git_repo: str | None = None
    python_interpreter: str | None = None
    flytekit_virtualenv_root: str | None = None
    fast_serialization_settings: Any = None
    source_root: str | None = None
