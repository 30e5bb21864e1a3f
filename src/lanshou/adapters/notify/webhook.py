"""A generic webhook for anything else: JSON body, signed so the receiver can trust it.

``X-Lanshou-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes, keyed with the secret>``
and ``X-Lanshou-Timestamp`` (Unix seconds, so receivers can refuse replays). The body carries
the timestamp too, so the signature covers it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from lanshou.adapters.notify.base import DeliveryResult, Message, Now, post_json, utc_now
from lanshou.adapters.notify.egress import public_only


def webhook_signature(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class SignedWebhook:
    url: str
    secret: str = field(repr=False)
    transport: httpx.BaseTransport = field(default_factory=public_only, repr=False)
    now: Now = field(default=utc_now, repr=False)
    extra: dict[str, Any] = field(default_factory=dict)

    def request(self, message: Message) -> tuple[bytes, dict[str, str]]:
        ts = str(int(self.now().timestamp()))
        body = json.dumps(
            {"title": message.title, "text": message.text, "timestamp": ts, **self.extra},
            ensure_ascii=False,
            sort_keys=True,
        ).encode()
        return body, {
            "Content-Type": "application/json",
            "X-Lanshou-Signature": webhook_signature(body, self.secret),
            "X-Lanshou-Timestamp": ts,
        }

    def send(self, message: Message) -> DeliveryResult:
        body, headers = self.request(message)
        return post_json(self.url, body, transport=self.transport, headers=headers)
