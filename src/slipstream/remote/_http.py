"""HTTP to the API: one place that turns error responses back into slipstream's errors."""

from __future__ import annotations

from typing import IO, Any, TypeVar

import httpx
import msgspec

import slipstream.errors as errors
from slipstream.errors import RemoteError, SlipstreamError

__all__ = ["Http"]

T = TypeVar("T")


def _by_code() -> dict[str, type[SlipstreamError]]:
    found: dict[str, type[SlipstreamError]] = {}
    stack: list[type[SlipstreamError]] = [SlipstreamError]
    while stack:
        cls = stack.pop()
        found.setdefault(cls.code, cls)
        stack.extend(cls.__subclasses__())
    return found


_CODES = _by_code()
_ = errors  # the hierarchy is complete once slipstream.errors is imported


class Http:
    """A pooled HTTP client for ``{endpoint}/api/v1``, decoding into model structs."""

    def __init__(self, endpoint: str, timeout: float = 30.0, token: str | None = None) -> None:
        self.endpoint = endpoint.rstrip("/")
        headers = {"authorization": f"Bearer {token}"} if token else None
        self.client = httpx.Client(
            base_url=f"{self.endpoint}/api/v1", timeout=timeout, headers=headers
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        content: bytes | IO[bytes] | None = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Send a request; a 4xx/5xx raises the error the server named."""
        body = content
        hdrs = dict(headers or {})
        if json is not None:
            body = msgspec.json.encode(json)
            hdrs["content-type"] = "application/json"
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            # no params: None keeps a query written in ``path`` ({} would drop it)
            response = self.client.request(
                method, path, content=body, params=clean or None, headers=hdrs
            )
        except httpx.HTTPError as e:
            raise RemoteError(f"cannot reach the slipstream server at {self.endpoint}: {e}") from e
        if response.status_code >= 400 and method != "HEAD":
            raise _error(response)
        return response

    def get(self, path: str, tp: type[T], **params: Any) -> T:
        """GET ``path`` and decode the JSON body into ``tp``."""
        return msgspec.json.decode(self.request("GET", path, params=params).content, type=tp)

    def send(self, method: str, path: str, body: Any, tp: type[T]) -> T:
        """Send ``body`` as JSON and decode the answer into ``tp``."""
        return msgspec.json.decode(self.request(method, path, json=body).content, type=tp)

    def close(self) -> None:
        """Close the connection pool."""
        self.client.close()


def _error(response: httpx.Response) -> SlipstreamError:
    try:
        body = msgspec.json.decode(response.content)
        code, message, details = body["error"], body["message"], body.get("details")
    except (msgspec.DecodeError, KeyError, TypeError):
        return RemoteError(
            f"the server answered {response.status_code} {response.reason_phrase}: "
            f"{response.text[:200]}"
        )
    cls = _CODES.get(code, SlipstreamError)
    try:
        err = cls(message, details=details)
    except TypeError:
        err = SlipstreamError(message, details=details)
    err.status_code = response.status_code  # type: ignore[attr-defined]
    return err
