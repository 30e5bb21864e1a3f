"""Appeals for several violations at once: draft each (statement and system evidence) for the
user to review, then file and submit each one the user confirmed.

Nothing is written while drafting. Filing calls the single-case services (:func:`create_appeal`,
:func:`submit_appeal`), so every appeal gets the same checks, events and audit records as one
filed by hand; the caller runs each in its own transaction so one refusal leaves the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from lanshou.adapters.db.models import Appeal, Violation
from lanshou.appeals.access import FILERS, require_role, visible_violation
from lanshou.appeals.context import AppealsContext
from lanshou.appeals.facts import gather
from lanshou.appeals.filing import create_appeal, submit_appeal
from lanshou.appeals.todo import appealable_violations
from lanshou.appeals.views import draft_statement
from lanshou.domain.roles import Role
from lanshou.errors import InvalidInput
from lanshou.identity import Principal, scope_for

MAX_BULK = 50  # one screen of drafts to read before submitting


@dataclass(frozen=True)
class EvidencePreview:
    """What the system evidence attached on submit will say, in a few lines."""

    order_external_id: str
    waybill_no: str | None
    carrier_code: str | None
    shipped_at: datetime | None
    first_pickup_at: datetime | None
    deadline: datetime
    tracking_events: int
    contacts: int


@dataclass(frozen=True)
class AppealDraft:
    violation: Violation
    closes_at: datetime
    statement: str
    evidence: EvidencePreview
    statement_max_chars: int


def check_bulk_ids(ids: list[int]) -> list[int]:
    """Distinct ids in the order given; at least one, at most :data:`MAX_BULK`."""
    unique = list(dict.fromkeys(ids))
    if not unique:
        raise InvalidInput("select at least one row", field="ids")
    if len(unique) > MAX_BULK:
        raise InvalidInput(f"select at most {MAX_BULK} rows", field="ids", limit=MAX_BULK)
    return unique


def draft_appeals(
    session: Session,
    actx: AppealsContext,
    caller: Principal,
    violation_ids: list[int],
    now: datetime,
) -> tuple[list[AppealDraft], list[int]]:
    """Drafts for the selected violations that can still be appealed, and the ids that cannot
    (already appealed, window closed, not in force, or not visible). Writes nothing."""
    require_role(caller, FILERS, "file appeals")
    wanted = check_bulk_ids(violation_ids)
    open_now = {
        v.id: closes
        for v, closes in appealable_violations(session, actx, scope_for(session, caller), now)
    }
    drafts, refused = [], []
    for vid in wanted:
        if vid not in open_now:
            refused.append(vid)
            continue
        violation = visible_violation(session, caller, vid)
        g = gather(session, actx, violation, now)
        drafts.append(
            AppealDraft(
                violation,
                open_now[vid],
                draft_statement(session, actx, violation, [], now),
                EvidencePreview(
                    g.order.external_id,
                    g.shipment.waybill_no,
                    g.carrier.code if g.carrier else None,
                    g.shipment.shipped_at,
                    g.first_pickup_at,
                    violation.deadline,
                    len(g.events),
                    len(g.contacts),
                ),
                actx.limits(violation).statement_max_chars,
            )
        )
    return drafts, refused


def file_reviewed_appeal(
    session: Session,
    actx: AppealsContext,
    caller: Principal,
    violation_id: int,
    statement: str,
    now: datetime,
) -> Appeal:
    """File and submit one reviewed draft: the channel follows the role, as on the form."""
    channel = "customer_service" if caller.role is Role.CS_AGENT else "online"
    appeal = create_appeal(session, actx, caller, violation_id, channel, statement.strip(), now)
    return submit_appeal(session, actx, caller, appeal.id, now)
