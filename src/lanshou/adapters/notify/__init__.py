"""Notification channels. Each has ``send(Message) -> DeliveryResult`` and never raises for a
delivery failure.

    Sender (protocol)
    ├── DingTalkRobot     钉钉群机器人, optional 加签
    ├── FeishuRobot       飞书/Lark 机器人, optional 签名校验
    ├── WeComRobot        企业微信群机器人 (key in the URL)
    ├── EmailSender       SMTP, optional STARTTLS
    └── SignedWebhook     JSON + X-Lanshou-Signature
    SmsSender (protocol)  reminders to couriers; LoggingSmsSender records only

Every connection a channel makes goes through the egress guard (``egress.py``): public
addresses only, checked after DNS resolution, unless the operator allow-listed them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from lanshou.adapters.notify.base import DeliveryResult, Message, Now, Sender, utc_now
from lanshou.adapters.notify.egress import (
    EgressPolicy,
    EgressRefused,
    GuardedTransport,
    guarded_smtp,
)
from lanshou.adapters.notify.email import EmailSender, SmtpFactory
from lanshou.adapters.notify.robots import (
    DingTalkRobot,
    FeishuRobot,
    WeComRobot,
    dingtalk_sign,
    feishu_sign,
)
from lanshou.adapters.notify.sms import LoggingSmsSender, SmsSender
from lanshou.adapters.notify.webhook import SignedWebhook, webhook_signature

__all__ = [
    "CHANNEL_KINDS",
    "DeliveryResult",
    "DingTalkRobot",
    "EgressPolicy",
    "EgressRefused",
    "EmailSender",
    "FeishuRobot",
    "LoggingSmsSender",
    "Message",
    "Sender",
    "SignedWebhook",
    "SmsSender",
    "WeComRobot",
    "build_sender",
    "dingtalk_sign",
    "feishu_sign",
    "webhook_signature",
]

CHANNEL_KINDS = ("dingtalk", "feishu", "wecom", "email", "webhook")


def build_sender(
    kind: str,
    config: Mapping[str, Any],
    secret: str | None,
    *,
    egress: EgressPolicy | None = None,
    transport: httpx.BaseTransport | None = None,
    smtp_factory: SmtpFactory | None = None,
    now: Now = utc_now,
) -> Sender:
    """A sender from a stored channel row's kind, non-secret config and secret.

    Without ``transport``/``smtp_factory`` (which replace the network, e.g. in tests) it
    connects only where ``egress`` allows: public addresses, plus the operator's allow-list.
    """
    policy = egress or EgressPolicy()
    transport = transport or GuardedTransport(policy)
    url = str(config.get("url", ""))
    if kind == "dingtalk":
        return DingTalkRobot(url, secret, transport, now)
    if kind == "feishu":
        return FeishuRobot(url, secret, transport, now)
    if kind == "wecom":
        return WeComRobot(url, str(config.get("msgtype", "markdown")), transport)
    if kind == "webhook":
        return SignedWebhook(url, secret or "", transport, now)
    if kind == "email":
        return EmailSender(
            host=str(config.get("host", "")),
            port=int(config.get("port", 25)),
            sender=str(config.get("sender", "")),
            recipients=[str(r) for r in config.get("recipients", [])],
            username=config.get("username") or None,
            password=secret,
            starttls=bool(config.get("starttls", False)),
            smtp_factory=smtp_factory or guarded_smtp(policy),
        )
    raise ValueError(f"unknown channel kind {kind!r}")
