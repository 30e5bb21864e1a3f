"""Replayed, duplicated and shuffled pushes end where the ordered stream ends: same state, same
violations (on both backends)."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.engine import unit_of_work
from lanshou.adapters.db.models import Shipment, Violation
from lanshou.adapters.db.models.feeds import FeedIntegration
from lanshou.enforcement.inbox import drain_inbox
from lanshou.enforcement.rules_context import RulesContext
from lanshou.feeds.ingest import ingest_kuaidi100
from tests.integration.enforcement.world import World, t

from .helpers import K100_SALT, k100_form, k100_param, scan

CTX = RulesContext()
NOW = t(6, 12)
# (hours after shipping the first scan comes, statuses of the trace): on time, late, never.
PLANS = {
    "P1": (3, ["揽收", "在途", "派件", "签收"]),
    "P2": (30, ["揽收", "在途"]),
    "P3": (None, []),
}


def _pushes(prefix: str, shipped: dict[str, Any]) -> list[dict[str, str]]:
    """Each scan triggers a push carrying the whole trace so far (快递100 style)."""
    pushes = []
    for ext, (first, statuses) in PLANS.items():
        if first is None:
            continue
        data: list[dict[str, Any]] = []
        for i, status in enumerate(statuses):
            at = shipped[ext] + timedelta(hours=first + 5 * i)
            data.append(scan(at.strftime("%Y-%m-%d %H:%M:%S"), f"scan {i}", status))
            pushes.append(k100_form(k100_param(f"{prefix}{ext}", list(data))))
    return pushes


def _world(sessions: sessionmaker[Session], prefix: str, w: World) -> dict[str, Any]:
    shipped = {}
    for ext in PLANS:
        sid = w.order(f"{prefix}{ext}", t(2, 10), shipped=t(2, 12))
        with sessions() as s:
            sh = s.get_one(Shipment, sid)
            sh.waybill_no = f"{prefix}{ext}"
            s.commit()
        shipped[ext] = t(2, 12)
    return shipped


def _outcome(sessions: sessionmaker[Session], prefix: str) -> list[tuple[Any, ...]]:
    with sessions() as s:
        rows = s.execute(
            select(
                Shipment.waybill_no,
                Shipment.status,
                Shipment.picked_up_at,
                Shipment.last_event_at,
                Violation.rule_id,
                Violation.state,
            )
            .outerjoin(Violation, Violation.shipment_id == Shipment.id)
            .where(Shipment.waybill_no.like(f"{prefix}%"))
            .order_by(Shipment.waybill_no, Violation.rule_id)
        ).all()
    return [(r[0][len(prefix) :], *r[1:]) for r in rows]


def test_shuffled_and_repeated_pushes_end_like_the_ordered_stream(
    sessions: sessionmaker[Session],
) -> None:
    w = World(sessions).setup()
    with sessions() as s:
        s.add(
            FeedIntegration(
                kind="kuaidi100", name="k", secret=K100_SALT, is_active=True, created_at=t(1)
            )
        )
        s.commit()
    ordered = _pushes("O", _world(sessions, "O", w))
    messy = _pushes("M", _world(sessions, "M", w))
    messy = messy + messy[::2] + messy  # replays and duplicates …
    random.Random(7).shuffle(messy)  # … in any order
    for push in ordered:  # each judged as it arrives
        with unit_of_work(sessions) as s:
            ingest_kuaidi100(s, push["param"], push["sign"], NOW)
        drain_inbox(sessions, NOW, CTX)
    for push in messy:
        with unit_of_work(sessions) as s:
            ingest_kuaidi100(s, push["param"], push["sign"], NOW)
    # then drained in batches that cut across pushes
    drained = drain_inbox(sessions, NOW, CTX, limit=3)
    assert (drained.batches, drained.records, drained.receipts) == (11, 31, 15)
    expected = _outcome(sessions, "O")
    assert _outcome(sessions, "M") == expected
    assert [(r[0], r[1], r[4], r[5]) for r in expected] == [
        ("P1", "delivered", None, None),
        ("P2", "in_transit", "pickup_timeout", "confirmed"),
        ("P3", "awaiting_pickup", None, None),
    ]  # no push: the sweep judges it, not a feed
    assert expected[0][2] == t(2, 15) and expected[1][2] == t(3, 18)
    assert len(ordered) == 6 and len(messy) == 15
