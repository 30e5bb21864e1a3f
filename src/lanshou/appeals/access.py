"""Who may touch which appeal: tenant scope first (another tenant's case is NotFound), then role."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lanshou.adapters.db.models import Appeal, Violation
from lanshou.domain.roles import Role
from lanshou.errors import NotFound, PermissionDenied
from lanshou.identity import Principal, Scope, scope_for

FILERS = frozenset({Role.MERCHANT_OWNER, Role.MERCHANT_STAFF, Role.CS_AGENT, Role.ADMIN})
REVIEWERS = frozenset({Role.REVIEWER, Role.ADMIN})


def _in_scope(scope: Scope, shop_id: int) -> bool:
    return scope.shop_ids is None or shop_id in scope.shop_ids


def visible_violation(
    session: Session, caller: Principal, violation_id: int, *, lock: bool = False
) -> Violation:
    query = select(Violation).where(Violation.id == violation_id)
    if lock:
        query = query.with_for_update()
    violation = session.execute(query).scalar_one_or_none()
    if violation is None or not _in_scope(scope_for(session, caller), violation.shop_id):
        raise NotFound(f"violation {violation_id} not found")
    return violation


def visible_appeal(session: Session, caller: Principal, appeal_id: int) -> Appeal:
    appeal = session.get(Appeal, appeal_id)
    if appeal is None or not _in_scope(scope_for(session, caller), appeal.shop_id):
        raise NotFound(f"appeal {appeal_id} not found")
    return appeal


def require_role(caller: Principal, allowed: frozenset[Role], action: str) -> None:
    if caller.role not in allowed:
        raise PermissionDenied(f"role {caller.role.value} may not {action}")
