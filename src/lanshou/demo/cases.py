"""Appeals and buyer complaints in every state, so each demo role has real work on first run.

Every case gets an order of its own in the shop all demo merchant users belong to, shipped at a
chosen time before ``now`` and never picked up. The rules service judges it an hour after its
pickup deadline passed, as the sweep would have, so the violation, its fine and its appeal window
are the real ones. The appeals and complaints are then moved through the appeal services (state
machine, audit records, ledger reversal) at instants before ``now``, each after the one before,
and the sweeps run at ``now`` (expiring the lapsed draft, escalating the overdue task). Every
instant is an offset from ``now``, so the cases are the same at any hour, on any date.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lanshou.adapters.db.models import Carrier, Order, Shipment, Shop, User, Violation
from lanshou.analytics import log_contact
from lanshou.appeals import (
    AppealsContext,
    claim_appeal,
    complete_task,
    create_appeal,
    decide_appeal,
    decide_complaint,
    escalate_overdue,
    expire_overdue,
    file_complaint,
    reconsider_appeal,
    submit_appeal,
)
from lanshou.demo.timeline import phone_tail
from lanshou.domain.roles import Role
from lanshou.enforcement import evaluate_shipments
from lanshou.i18n.format import DISPLAY_TZ
from lanshou.identity import Principal, Scope

CASE_SHOP = "demo-dy-hemu"  # the shop of every demo merchant user (owner and staff)
ORDER_FEN = 8900
H = timedelta(hours=1)


@dataclass(frozen=True)
class Cast:
    """The demo users who act in the cases."""

    merchant: Principal
    cs: Principal
    reviewer: Principal
    admin: Principal


@dataclass(frozen=True)
class Case:
    """One case: its breach (hours before now) and what happens to it afterwards."""

    name: str
    breach_hours_ago: int
    play: Callable[[Session, AppealsContext, Cast, int, int, datetime], None]


def _file(s: Session, a: AppealsContext, c: Cast, vid: int, at: datetime, text: str) -> int:
    return create_appeal(s, a, c.merchant, vid, "online", text, at).id


def _chased(s: Session, c: Cast, vid: int, at: datetime) -> None:
    """The calls the statement points to ("详见联系记录"): the merchant chased the courier and
    the outlet before filing, so the case and the dossier have a real contact log."""
    shipment_id = s.get_one(Violation, vid).shipment_id
    for hours, kind, name, channel, summary in (
        (5, "courier", "王师傅", "phone", "电话催促上门揽收，快递员称车辆已满，改约次日上午。"),
        (3, "outlet", "网点客服", "wechat", "微信联系网点，网点确认快递员未按约定时间上门。"),
    ):
        log_contact(
            s,
            Scope(None),
            shipment_id=shipment_id,
            user_id=c.merchant.user_id,
            counterpart_kind=kind,
            counterpart_name=name,
            channel=channel,
            summary=summary,
            now=at,
            occurred_at=at - hours * H,
        )


def _submitted(s: Session, a: AppealsContext, c: Cast, vid: int, at: datetime) -> int:
    _chased(s, c, vid, at)
    aid = _file(s, a, c, vid, at, "快递员未按约定时间上门揽收，已多次电话催促，详见联系记录。")
    submit_appeal(s, a, c.merchant, aid, at)
    return aid


def _decided(
    s: Session, a: AppealsContext, who: Principal, aid: int, outcome: str, at: datetime
) -> None:
    claim_appeal(s, a, who, aid, at)
    reason = None if outcome == "approved" else "insufficient_evidence"
    decide_appeal(s, a, who, aid, outcome, reason, "", at + 10 * timedelta(minutes=1))


def _draft(s: Session, a: AppealsContext, c: Cast, vid: int, order: int, now: datetime) -> None:
    _file(s, a, c, vid, now - 26 * H, "网点当天停电无法揽收，附网点公告截图。")


def _expired(s: Session, a: AppealsContext, c: Cast, vid: int, order: int, now: datetime) -> None:
    _file(s, a, c, vid, now - 398 * H, "草稿：等待快递员的书面说明。")  # never submitted


def _waiting(s: Session, a: AppealsContext, c: Cast, vid: int, order: int, now: datetime) -> None:
    _submitted(s, a, c, vid, now - 20 * H)  # in the queue, unclaimed


def _in_review(s: Session, a: AppealsContext, c: Cast, vid: int, order: int, now: datetime) -> None:
    claim_appeal(s, a, c.reviewer, _submitted(s, a, c, vid, now - 46 * H), now - 20 * H)


def _rejected(s: Session, a: AppealsContext, c: Cast, vid: int, order: int, now: datetime) -> None:
    _decided(s, a, c.reviewer, _submitted(s, a, c, vid, now - 90 * H), "rejected", now - 70 * H)


def _reconsidered(
    s: Session, a: AppealsContext, c: Cast, vid: int, order: int, now: datetime
) -> None:
    # The admin decides the first round, so the demo reviewer may decide the reconsideration.
    aid = _submitted(s, a, c, vid, now - 116 * H)
    _decided(s, a, c.admin, aid, "rejected", now - 100 * H)
    statement = "补充：快递员在揽收时限后才到达，网点值班记录可证明。"
    reconsider_appeal(s, a, c.merchant, aid, statement, now - 50 * H)


def _approved(s: Session, a: AppealsContext, c: Cast, vid: int, order: int, now: datetime) -> None:
    _decided(s, a, c.reviewer, _submitted(s, a, c, vid, now - 140 * H), "approved", now - 120 * H)


def _complaint_open(
    s: Session, a: AppealsContext, c: Cast, vid: int, order: int, now: datetime
) -> None:
    file_complaint(s, c.cs, order, "买家来电：下单多日仍未揽收，要求尽快发货。", now - 5 * H)


def _complaint_dismissed(
    s: Session, a: AppealsContext, c: Cast, vid: int, order: int, now: datetime
) -> None:
    complaint = file_complaint(s, c.cs, order, "买家投诉包装破损。", now - 60 * H)
    decide_complaint(
        s, a.rules, c.reviewer, complaint.id, False, now - 40 * H, comment="物流记录显示完好"
    )


def _complaint_task_open(
    s: Session, a: AppealsContext, c: Cast, vid: int, order: int, now: datetime
) -> None:
    complaint = file_complaint(s, c.cs, order, "买家投诉延迟揽收，要求补偿。", now - 20 * H)
    decide_complaint(s, a.rules, c.reviewer, complaint.id, True, now - 10 * H, "compensate")


def _complaint_task_done(
    s: Session, a: AppealsContext, c: Cast, vid: int, order: int, now: datetime
) -> None:
    complaint = file_complaint(s, c.cs, order, "买家投诉未按时发货，要求退款。", now - 80 * H)
    decide_complaint(s, a.rules, c.reviewer, complaint.id, True, now - 70 * H, "refund")
    complete_task(s, c.merchant, complaint.id, "已退款 89.00 元", now - 30 * H)


def _complaint_overdue(
    s: Session, a: AppealsContext, c: Cast, vid: int, order: int, now: datetime
) -> None:
    # Decided 380 h ago: two working days are past even after the longest holiday week.
    complaint = file_complaint(s, c.cs, order, "买家投诉包裹丢失，要求补发。", now - 390 * H)
    decide_complaint(s, a.rules, c.reviewer, complaint.id, True, now - 380 * H, "reship")


CASES = (
    Case("appeal_expired", 400, _expired),
    Case("appeal_draft", 30, _draft),
    Case("appeal_submitted", 28, _waiting),
    Case("appeal_under_review", 50, _in_review),
    Case("appeal_rejected", 96, _rejected),
    Case("appeal_reconsideration", 120, _reconsidered),
    Case("appeal_approved", 144, _approved),
    Case("complaint_open", 30, _complaint_open),
    Case("complaint_dismissed", 72, _complaint_dismissed),
    Case("complaint_task_open", 40, _complaint_task_open),
    Case("complaint_task_done", 96, _complaint_task_done),
    Case("complaint_task_overdue", 400, _complaint_overdue),
)


def _cast(session: Session) -> Cast | None:
    users = {
        u.username: Principal(u.id, u.username, u.display_name, Role(u.role), u.locale)
        for u in session.scalars(
            select(User).where(User.username.in_(("merchant", "cs", "reviewer", "admin")))
        )
    }
    if len(users) < 4:
        return None
    return Cast(users["merchant"], users["cs"], users["reviewer"], users["admin"])


def _case_order(session: Session, shop_id: int, carrier_id: int, n: int, breach: datetime) -> int:
    """An order paid two hours before it was marked shipped, 24 h before ``breach``; the
    shipment's id. Numbered like the demo's douyin orders (69 + paid date + sequence)."""
    shipped = breach - 24 * H
    paid = shipped - 2 * H
    number = f"69{paid.astimezone(DISPLAY_TZ):%y%m%d}{9_900_000 + n:07d}0000"
    order = Order(
        shop_id=shop_id,
        external_id=number,
        status="shipped",
        paid_at=paid,
        amount_fen=ORDER_FEN,
        quantity=1,
        created_at=paid,
        updated_at=shipped,
    )
    session.add(order)
    session.flush()
    order.buyer_phone_tail = phone_tail(order.id)
    shipment = Shipment(
        order_id=order.id,
        key=number,
        carrier_id=carrier_id,
        waybill_no=f"DEMOCASE{n:04d}",
        shipped_at=shipped,
        status="awaiting_pickup",
        amount_fen=ORDER_FEN,
        max_unit_price_fen=ORDER_FEN,
    )
    session.add(shipment)
    session.flush()
    return shipment.id


def seed_demo_cases(session: Session, actx: AppealsContext, now: datetime) -> int:
    """Add the cases; how many (0 without the demo users, or when the platform decides appeals
    itself, seller mode, where a decision is recorded from the platform's screenshot)."""
    cast = _cast(session)
    if cast is None or actx.venue == "external":
        return 0
    shop_id = session.scalars(select(Shop.id).where(Shop.code == CASE_SHOP)).one()
    carrier_id = session.scalars(select(Carrier.id).order_by(Carrier.id)).first()
    assert carrier_id is not None, "the demo world has carriers"
    for n, case in enumerate(CASES):
        breach = now - case.breach_hours_ago * H
        shipment_id = _case_order(session, shop_id, carrier_id, n, breach)
        evaluate_shipments(session, [shipment_id], breach + H, actx.rules)
        violation = session.scalars(
            select(Violation).where(
                Violation.shipment_id == shipment_id, Violation.rule_id == "pickup_timeout"
            )
        ).one()
        case.play(session, actx, cast, violation.id, violation.order_id, now)
    expire_overdue(session, now)
    escalate_overdue(session, now)
    return len(CASES)
