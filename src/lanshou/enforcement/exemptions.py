"""Exemptions: platform-declared events (region × carrier × window) and force-majeure reports.

An admin declares an event and it applies at once; a merchant's report (报备) waits for an admin
or reviewer other than the one who filed it (four eyes). Either way, once an exemption is in
force the deadlines of every still-open shipment are recomputed, and the violation records which
exemption applied and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lanshou import audit
from lanshou.adapters.db.models import Exemption, Shop
from lanshou.domain.roles import Role
from lanshou.enforcement.evaluation import EvaluationResult
from lanshou.enforcement.rules_context import RulesContext
from lanshou.enforcement.sweep import evaluate_all
from lanshou.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from lanshou.i18n import N_
from lanshou.identity import Principal, Scope
from lanshou.settings import Settings

EFFECTS = ("exempt", "extend")
OWN_REPORT = N_("A force-majeure report is decided by someone other than the person who filed it.")


@dataclass(frozen=True)
class ExemptionRequest:
    starts_at: datetime
    ends_at: datetime
    reason: str
    effect: str = "exempt"
    provinces: tuple[str, ...] = ()
    carrier_codes: tuple[str, ...] = ()

    def validate(self) -> None:
        if self.ends_at <= self.starts_at:
            raise InvalidInput("ends_at must be after starts_at", field="ends_at")
        if self.effect not in EFFECTS:
            raise InvalidInput(f"effect must be one of {EFFECTS}", field="effect")
        if not self.reason.strip():
            raise InvalidInput("a reason is required", field="reason")


def _audit(session: Session, row: Exemption, action: str, actor: str, now: datetime) -> None:
    audit.record(
        session,
        entity_type="exemption",
        entity_id=row.id,
        action=action,
        actor=actor,
        at=now,
        reason=row.reason,
        data={
            "kind": row.kind,
            "status": row.status,
            "effect": row.effect,
            "provinces": row.provinces,
            "carriers": row.carrier_codes,
            "starts_at": row.starts_at.isoformat(),
            "ends_at": row.ends_at.isoformat(),
        },
    )


def _create(
    session: Session,
    caller: Principal,
    req: ExemptionRequest,
    now: datetime,
    *,
    kind: str,
    shop_id: int | None,
    status: str,
    action: str,
) -> Exemption:
    req.validate()
    row = Exemption(
        kind=kind,
        shop_id=shop_id,
        provinces=list(req.provinces),
        carrier_codes=[c.upper() for c in req.carrier_codes],
        starts_at=req.starts_at,
        ends_at=req.ends_at,
        effect=req.effect,
        reason=req.reason.strip(),
        status=status,
        created_by=caller.user_id,
        decided_by=caller.user_id if status == "approved" else None,
        created_at=now,
    )
    session.add(row)
    session.flush()
    _audit(session, row, action, caller.username, now)
    return row


def declare_event(
    session: Session, caller: Principal, req: ExemptionRequest, now: datetime
) -> Exemption:
    """A platform-declared event (typhoon, epidemic …): in force immediately. Admins only."""
    if caller.role is not Role.ADMIN:
        raise PermissionDenied("only administrators declare platform events")
    return _create(
        session, caller, req, now, kind="event", shop_id=None, status="approved", action="declared"
    )


def report_force_majeure(
    session: Session,
    caller: Principal,
    scope: Scope,
    shop_id: int,
    req: ExemptionRequest,
    now: datetime,
) -> Exemption:
    """A merchant's 报备 for one of their shops; it waits for a reviewer or admin."""
    outside = scope.shop_ids is not None and shop_id not in scope.shop_ids
    if outside or session.get(Shop, shop_id) is None:
        raise NotFound(f"shop {shop_id} not found", field="shop_id")
    return _create(
        session,
        caller,
        req,
        now,
        kind="report",
        shop_id=shop_id,
        status="pending",
        action="reported",
    )


def decide_report(
    session: Session, caller: Principal, exemption_id: int, approve: bool, now: datetime
) -> Exemption:
    """Approve or reject a pending report: reviewers and admins, never the one who filed it."""
    if caller.role not in (Role.ADMIN, Role.REVIEWER):
        raise PermissionDenied("only reviewers and administrators decide force-majeure reports")
    row = session.execute(
        select(Exemption).where(Exemption.id == exemption_id).with_for_update()
    ).scalar_one_or_none()
    if row is None or row.kind != "report":
        raise NotFound(f"report {exemption_id} not found")
    if row.status != "pending":
        raise Conflict(f"report {exemption_id} is already {row.status}", state=row.status)
    if row.created_by == caller.user_id:
        raise PermissionDenied(OWN_REPORT, rule="four_eyes")
    row.status = "approved" if approve else "rejected"
    row.decided_by = caller.user_id
    session.flush()
    _audit(session, row, row.status, caller.username, now)
    return row


def recompute_open(
    sessions: sessionmaker[Session],
    now: datetime,
    settings: Settings,
    ctx: RulesContext | None = None,
) -> EvaluationResult:
    """Re-judge every shipment not yet picked up: after a calendar or exemption change."""
    return evaluate_all(sessions, now, settings, ctx=ctx, only_open=True)


def list_exemptions(session: Session, scope: Scope) -> list[Exemption]:
    q = select(Exemption).order_by(Exemption.created_at.desc(), Exemption.id.desc())
    if scope.shop_ids is not None:
        q = q.where(
            (Exemption.shop_id.in_(sorted(scope.shop_ids) or [-1])) | (Exemption.kind == "event")
        )
    return list(session.execute(q).scalars())


__all__ = [
    "ExemptionRequest",
    "decide_report",
    "declare_event",
    "list_exemptions",
    "recompute_open",
    "report_force_majeure",
]
