"""Alerts and reminders: channels and subscriptions per shop, the outbox dispatcher (quiet
hours, dedup, retries with backoff, delivery log) and pickup reminders to couriers."""

from lanshou.alerts import channels, reminders  # modules used as namespaces
from lanshou.alerts.dispatcher import (
    DispatchResult,
    SenderFactory,
    dispatch_alerts,
    safe_send,
    sender_factory,
)
from lanshou.alerts.kinds import CHANNEL_LABELS, EVENT_KINDS, EVENT_LABELS, OUTBOX_STATES
from lanshou.alerts.policy import AlertPolicy, release_at

__all__ = [
    "CHANNEL_LABELS",
    "EVENT_KINDS",
    "EVENT_LABELS",
    "OUTBOX_STATES",
    "AlertPolicy",
    "DispatchResult",
    "SenderFactory",
    "channels",
    "dispatch_alerts",
    "release_at",
    "reminders",
    "safe_send",
    "sender_factory",
]
