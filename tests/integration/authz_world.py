"""Two tenants with one of everything, and a bearer token for every role, for authorization tests.

On top of the web/API world (shop A 甜橙小铺 = id 1, shop B 山野茶舍 = id 2) each shop gets, made
through the real services: four violations with money booked (one without an appeal, one with a
draft appeal holding an image, one with a submitted appeal, one with a rejected appeal), an open
complaint and an upheld one with its merchant task, a pending force-majeure report, an alert
channel, and an order
without a shipment that can be marked shipped. Users: ``merchant`` owns shop A, ``staff`` works in
shop A, ``other`` owns shop B, plus ``agent`` (cs), ``reviewer`` and ``admin``; ``integration`` is
a long-lived token an admin created for a feed integration.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from PIL import Image
from sqlalchemy.orm import Session, sessionmaker

from lanshou import appeals
from lanshou.adapters.db.models import Order, Shipment, User
from lanshou.alerts import channels
from lanshou.domain.roles import Role
from lanshou.domain.tracking import TrackingUpdate
from lanshou.enforcement.exemptions import ExemptionRequest, report_force_majeure
from lanshou.enforcement.inbox import accept_updates
from lanshou.identity.auth import (
    Principal,
    create_integration_token,
    create_user,
    issue_session_token,
)
from lanshou.identity.scope import scope_for
from lanshou.settings import Settings
from tests.integration.web.world import NOW, PASSWORD, World, build_world, insert_violation

# The callers of the matrix, in column order; "integration" is the admin's integration token.
CALLERS = ("owner", "staff", "cs", "reviewer", "admin", "integration")
USERNAMES = {
    "owner": "merchant",
    "staff": "staff",
    "cs": "agent",
    "reviewer": "reviewer",
    "admin": "admin",
}
SHOP_OWNERS = {1: "merchant", 2: "other"}


@dataclass
class TenantObjects:
    """Ids of one shop's objects, one per route that needs an object in a given state."""

    shop_id: int
    order_id: int
    unshipped_order_id: int
    shipment_id: int
    waybill: str
    violation_free: int  # no appeal yet
    appeal_draft: int
    evidence_id: int  # an image on the draft appeal
    appeal_submitted: int
    appeal_rejected: int
    complaint_open: int
    complaint_upheld: int  # with an open merchant task
    report_pending: int
    receipt_id: int  # accepted tracking events of its waybill


@dataclass
class AuthzWorld:
    base: World
    user_ids: dict[str, int]
    tokens: dict[str, str] = field(default_factory=dict)  # caller → bearer token
    tenants: dict[int, TenantObjects] = field(default_factory=dict)  # shop id → objects
    integration_token_id: int = 0

    def headers(self, caller: str | None) -> dict[str, str]:
        return {} if caller is None else {"Authorization": f"Bearer {self.tokens[caller]}"}


def jpeg_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, "JPEG")
    return out.getvalue()


def _principal(s: Session, username: str) -> Principal:
    user = s.query(User).filter_by(username=username).one()
    return Principal(user.id, user.username, user.display_name, Role(user.role), user.locale)


def _unshipped_order(s: Session, shop_id: int, external_id: str) -> int:
    paid = NOW - timedelta(hours=5)
    order = Order(
        shop_id=shop_id,
        external_id=external_id,
        status="paid",
        paid_at=paid,
        amount_fen=5000,
        quantity=1,
        created_at=paid,
        updated_at=paid,
    )
    s.add(order)
    s.flush()
    return order.id


def _tenant(
    s: Session, actx: appeals.AppealsContext, shop_id: int, orders: list[int], prefix: str
) -> TenantObjects:
    owner = _principal(s, SHOP_OWNERS[shop_id])
    reviewer, agent = _principal(s, "reviewer"), _principal(s, "agent")
    free, draft_v, submitted_v, rejected_v = (insert_violation(s, shop_id, o) for o in orders[:4])
    at = NOW - timedelta(hours=6)
    draft = appeals.create_appeal(s, actx, owner, draft_v, "online", "快递员未按时上门", at)
    evidence = appeals.upload_evidence(s, actx, owner, draft.id, "photo.jpg", jpeg_bytes(), at)
    submitted = appeals.create_appeal(s, actx, owner, submitted_v, "online", "已按时交寄", at)
    appeals.submit_appeal(s, actx, owner, submitted.id, at)
    rejected = appeals.create_appeal(s, actx, owner, rejected_v, "online", "网点停电", at)
    appeals.submit_appeal(s, actx, owner, rejected.id, at)
    appeals.decide_appeal(
        s,
        actx,
        reviewer,
        rejected.id,
        "rejected",
        "no_evidence",
        "缺少凭证",
        at + timedelta(hours=1),
    )
    complaint_open = appeals.file_complaint(s, agent, orders[0], "包裹未揽收", at)
    upheld = appeals.file_complaint(s, agent, orders[1], "催发货无回应", at)
    appeals.decide_complaint(s, actx.rules, reviewer, upheld.id, True, at, "compensate")
    window = ExemptionRequest(
        starts_at=NOW - timedelta(days=2),
        ends_at=NOW - timedelta(days=1),
        reason="仓库停电",
        effect="exempt",
    )
    report = report_force_majeure(s, owner, scope_for(s, owner), shop_id, window, at)
    channels.create_channel(
        s,
        owner,
        scope_for(s, owner),
        shop_id=shop_id,
        kind="dingtalk",
        name=f"{prefix} 值班群",
        config={"url": "https://oapi.example/robot"},
        secret=None,
        now=at,
    )
    shipment = s.query(Shipment).filter_by(order_id=orders[0]).one()
    scan = TrackingUpdate(
        waybill_no=shipment.waybill_no or "",
        status="in_transit",
        event_time=at,
        source="webhook",
        description=f"{prefix} 转运",
    )
    receipt = accept_updates(s, [scan], at, source="webhook")
    return TenantObjects(
        shop_id=shop_id,
        order_id=orders[0],
        unshipped_order_id=_unshipped_order(s, shop_id, f"{prefix}-UNSHIPPED"),
        shipment_id=shipment.id,
        waybill=shipment.waybill_no or "",
        violation_free=free,
        appeal_draft=draft.id,
        evidence_id=evidence.id,
        appeal_submitted=submitted.id,
        appeal_rejected=rejected.id,
        complaint_open=complaint_open.id,
        complaint_upheld=upheld.id,
        report_pending=report.id,
        receipt_id=receipt.receipt_id,
    )


def build_authz_world(sessions: sessionmaker[Session], settings: Settings) -> AuthzWorld:
    """The base world, the extra users, both tenants' objects and one token per caller."""
    base = build_world(sessions)
    actx = appeals.AppealsContext.from_settings(settings)
    with sessions() as s:
        create_user(s, "agent", PASSWORD, Role.CS_AGENT, "客服", [], NOW)
        s.flush()
        ids = base.order_ids
        world = AuthzWorld(base, {u.username: u.id for u in s.query(User)})
        world.tenants[1] = _tenant(s, actx, 1, [ids[f"A{i:03d}"] for i in range(4)], "A")
        world.tenants[2] = _tenant(s, actx, 2, [ids[f"B{i:03d}"] for i in range(4)], "B")
        for caller, username in USERNAMES.items():
            world.tokens[caller] = issue_session_token(s, _principal(s, username), NOW, 24 * 365)
        world.tokens["integration"], row = create_integration_token(
            s, _principal(s, "admin"), "tracking feed", NOW
        )
        world.integration_token_id = row.id
        s.commit()
    return world


def at(hours: float) -> datetime:
    """An instant relative to the world's "now"."""
    return NOW + timedelta(hours=hours)
