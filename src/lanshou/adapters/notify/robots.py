"""Group robots of the three chat tools Chinese teams use: DingTalk, Feishu/Lark and WeCom.

Signing, as documented by each vendor:

* DingTalk (钉钉自定义机器人, 加签): ``string_to_sign = f"{timestamp_ms}\\n{secret}"``; HMAC-SHA256
  keyed with the secret over that string; base64; URL-encoded; sent as ``&timestamp=…&sign=…``.
* Feishu (飞书自定义机器人, 签名校验): ``string_to_sign = f"{timestamp_s}\\n{secret}"`` is the HMAC
  *key* and the message is empty; base64; sent in the JSON body as ``timestamp`` and ``sign``.
* WeCom (企业微信群机器人): no signature; the ``key`` in the webhook URL is the secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus

import httpx

from lanshou.adapters.notify.base import DeliveryResult, Message, Now, post_json, utc_now
from lanshou.adapters.notify.egress import public_only


def dingtalk_sign(timestamp_ms: int, secret: str) -> str:
    """The URL-encoded ``sign`` parameter for a DingTalk robot."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256)
    return quote_plus(base64.b64encode(digest.digest()).decode())


def feishu_sign(timestamp_s: int, secret: str) -> str:
    """The ``sign`` body field for a Feishu/Lark robot (the string to sign is the key)."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256)
    return base64.b64encode(digest.digest()).decode()


def _errcode(payload: dict[str, Any]) -> str | None:
    code = payload.get("errcode", 0)
    return None if code == 0 else f"errcode {code}: {payload.get('errmsg', '')}"


def _feishu_code(payload: dict[str, Any]) -> str | None:
    code = payload.get("code", payload.get("StatusCode", 0))
    return None if code == 0 else f"code {code}: {payload.get('msg', '')}"


@dataclass
class DingTalkRobot:
    webhook_url: str
    secret: str | None = field(default=None, repr=False)
    transport: httpx.BaseTransport = field(default_factory=public_only, repr=False)
    now: Now = field(default=utc_now, repr=False)

    def url(self) -> str:
        if not self.secret:
            return self.webhook_url
        ts = int(self.now().timestamp() * 1000)
        return f"{self.webhook_url}&timestamp={ts}&sign={dingtalk_sign(ts, self.secret)}"

    def send(self, message: Message) -> DeliveryResult:
        text = f"### {message.title}\n\n{message.text}"
        body = {"msgtype": "markdown", "markdown": {"title": message.title, "text": text}}
        return post_json(self.url(), body, transport=self.transport, check=_errcode)


@dataclass
class FeishuRobot:
    webhook_url: str
    secret: str | None = field(default=None, repr=False)
    transport: httpx.BaseTransport = field(default_factory=public_only, repr=False)
    now: Now = field(default=utc_now, repr=False)

    def body(self, message: Message) -> dict[str, Any]:
        body: dict[str, Any] = {
            "msg_type": "text",
            "content": {"text": f"{message.title}\n{message.text}"},
        }
        if self.secret:
            ts = int(self.now().timestamp())
            body.update(timestamp=str(ts), sign=feishu_sign(ts, self.secret))
        return body

    def send(self, message: Message) -> DeliveryResult:
        return post_json(
            self.webhook_url, self.body(message), transport=self.transport, check=_feishu_code
        )


@dataclass
class WeComRobot:
    webhook_url: str  # https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…
    msgtype: str = "markdown"  # or "text"
    transport: httpx.BaseTransport = field(default_factory=public_only, repr=False)

    def send(self, message: Message) -> DeliveryResult:
        if self.msgtype == "text":
            body: dict[str, Any] = {
                "msgtype": "text",
                "text": {"content": f"{message.title}\n{message.text}"},
            }
        else:
            body = {
                "msgtype": "markdown",
                "markdown": {"content": f"**{message.title}**\n{message.text}"},
            }
        return post_json(self.webhook_url, body, transport=self.transport, check=_errcode)
