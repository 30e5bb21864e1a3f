"""What every channel shares: the message, the result of one attempt, and JSON posting.

A channel never raises for a delivery problem: network errors, HTTP errors, robot error codes and
addresses the egress guard refuses all come back as a failed :class:`DeliveryResult`, so the
dispatcher records them and retries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx

from lanshou.adapters.notify.egress import EgressRefused

TIMEOUT = httpx.Timeout(10.0)
Now = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Message:
    title: str
    text: str  # plain text; robots that take markdown get it as-is


@dataclass(frozen=True)
class DeliveryResult:
    ok: bool
    status_code: int | None = None
    error: str | None = None

    @classmethod
    def failed(cls, error: str, status_code: int | None = None) -> DeliveryResult:
        return cls(False, status_code, error[:1000])


class Sender(Protocol):
    def send(self, message: Message) -> DeliveryResult: ...


def post_json(
    url: str,
    body: dict[str, Any] | bytes,
    *,
    transport: httpx.BaseTransport,
    headers: dict[str, str] | None = None,
    check: Callable[[dict[str, Any]], str | None] | None = None,
) -> DeliveryResult:
    """POST and judge: a 2xx whose JSON ``check`` finds no error code is a success.

    Redirects are not followed (a 3xx is a failure) and proxies from the environment are not
    used: either would take the request past the transport that checks where it goes.
    """
    try:
        with httpx.Client(
            transport=transport, timeout=TIMEOUT, follow_redirects=False, trust_env=False
        ) as client:
            if isinstance(body, bytes):
                response = client.post(url, content=body, headers=headers)
            else:
                response = client.post(url, json=body, headers=headers)
    except (httpx.HTTPError, EgressRefused) as exc:
        return DeliveryResult.failed(f"{type(exc).__name__}: {exc}")
    if not response.is_success:
        return DeliveryResult.failed(
            f"HTTP {response.status_code}: {response.text[:300]}", response.status_code
        )
    if check is not None:
        try:
            payload = response.json()
        except ValueError:
            return DeliveryResult.failed("response is not JSON", response.status_code)
        error = check(payload if isinstance(payload, dict) else {})
        if error:
            return DeliveryResult.failed(error, response.status_code)
    return DeliveryResult(True, response.status_code)
