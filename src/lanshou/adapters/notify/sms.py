"""Text messages to couriers. No provider is wired in: :class:`LoggingSmsSender` only writes
the message to the application log; the reminders service records it in the delivery log.
A real provider (Aliyun, Tencent Cloud SMS) implements :class:`SmsSender`."""

from __future__ import annotations

import logging
from typing import Protocol

from lanshou.adapters.notify.base import DeliveryResult

log = logging.getLogger("lanshou.sms")


class SmsSender(Protocol):
    name: str

    def send_sms(self, phone: str, text: str) -> DeliveryResult: ...


class LoggingSmsSender:
    """Pretends to send: logs the text and reports success (for deployments without a provider)."""

    name = "log"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send_sms(self, phone: str, text: str) -> DeliveryResult:
        if not phone.strip():
            return DeliveryResult.failed("no phone number")
        self.sent.append((phone, text))
        log.info("SMS to %s: %s", phone[:3] + "****" + phone[-4:], text)
        return DeliveryResult(True)
