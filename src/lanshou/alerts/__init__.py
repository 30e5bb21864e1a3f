"""Alerts and reminders: channels and subscriptions per shop, the outbox dispatcher (quiet
hours, dedup, retries with backoff, delivery log) and pickup reminders to couriers."""

from lanshou.alerts.dispatcher import DispatchResult, dispatch_alerts
from lanshou.alerts.policy import AlertPolicy, release_at

__all__ = ["AlertPolicy", "DispatchResult", "dispatch_alerts", "release_at"]
