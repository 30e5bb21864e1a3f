"""The event kinds a channel can subscribe to, and the one line each is described with."""

from __future__ import annotations

from lanshou.i18n import N_

EVENT_KINDS = (
    "at_risk",
    "breach",
    "appeal_due_soon",
    "appeal_overdue",
    "decision_made",
    "feed_stalled",
)
EVENT_LABELS = {
    "at_risk": N_("Pickup deadline approaching"),
    "breach": N_("Deadline breached"),
    "appeal_due_soon": N_("Appeal due soon"),
    "appeal_overdue": N_("Appeal overdue"),
    "decision_made": N_("Appeal decided"),
    "feed_stalled": N_("Carrier feed stalled"),
}
CHANNEL_LABELS = {
    "dingtalk": N_("DingTalk robot"),
    "feishu": N_("Feishu robot"),
    "wecom": N_("WeCom robot"),
    "email": N_("E-mail"),
    "webhook": N_("Signed webhook"),
}
OUTBOX_STATES = {
    "pending": N_("Waiting"),
    "sending": N_("Sending"),
    "sent": N_("Sent"),
    "failed": N_("Failed"),
}
