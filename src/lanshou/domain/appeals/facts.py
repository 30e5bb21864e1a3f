"""What the assessment and the statement draft know about a case, as plain values."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Contact:
    """One entry of the contact log: whom the merchant called or messaged, and when."""

    occurred_at: dt.datetime
    counterpart_kind: str  # courier, outlet, carrier_cs, buyer …
    channel: str
    summary: str = ""


@dataclass(frozen=True)
class CaseFacts:
    rule_id: str  # pickup_timeout, ship_timeout …
    rule_label_zh: str  # the rule's name in its profile (Rule.label_zh)
    awaits_pickup: bool  # the rule's deadline waits for the first pickup scan (a 揽收 rule)
    deadline: dt.datetime
    order_external_id: str = ""
    waybill_no: str | None = None
    carrier_name: str | None = None
    shipped_at: dt.datetime | None = None
    ship_by: dt.datetime | None = None  # the ship-by deadline (发货时效), when known
    first_pickup_at: dt.datetime | None = None
    exemption_reason: str | None = None  # an approved exemption covering the window
    contacts: tuple[Contact, ...] = ()
    merchant_evidence: int = 0  # files the merchant uploaded (system evidence not counted)
    tz: dt.tzinfo = dt.UTC

    def contacts_before_deadline(self) -> list[Contact]:
        carrier_side = {"courier", "outlet", "carrier", "carrier_cs"}
        return [
            c
            for c in self.contacts
            if c.occurred_at <= self.deadline and c.counterpart_kind in carrier_side
        ]

    def local(self, at: dt.datetime) -> str:
        return at.astimezone(self.tz).strftime("%Y-%m-%d %H:%M")
