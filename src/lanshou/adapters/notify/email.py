"""E-mail over SMTP (smtplib), with optional STARTTLS and login; the SMTP class is injectable
(:func:`lanshou.adapters.notify.build_sender` gives one that connects to checked addresses only)."""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from lanshou.adapters.notify.base import DeliveryResult, Message
from lanshou.adapters.notify.egress import EgressPolicy, EgressRefused, guarded_smtp

SmtpFactory = Callable[..., Any]  # smtplib.SMTP or a test double with the same calls


@dataclass
class EmailSender:
    host: str
    port: int
    sender: str
    recipients: list[str]
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = False
    smtp_factory: SmtpFactory = field(
        default_factory=lambda: guarded_smtp(EgressPolicy()), repr=False
    )

    def build(self, message: Message) -> EmailMessage:
        mail = EmailMessage()
        mail["Subject"] = message.title
        mail["From"] = self.sender
        mail["To"] = ", ".join(self.recipients)
        mail.set_content(message.text)
        return mail

    def send(self, message: Message) -> DeliveryResult:
        if not self.recipients:
            return DeliveryResult.failed("no recipients configured")
        try:
            with self.smtp_factory(self.host, self.port, timeout=10) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username and self.password:
                    smtp.login(self.username, self.password)
                smtp.send_message(self.build(message))
        except (smtplib.SMTPException, OSError, EgressRefused) as exc:
            return DeliveryResult.failed(f"{type(exc).__name__}: {exc}")
        return DeliveryResult(True)
