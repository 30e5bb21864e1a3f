"""System evidence: the facts lanshou holds, attached on submit as JSON the merchant cannot edit."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lanshou.adapters.db.models import Appeal, Evidence, Violation
from lanshou.appeals.context import AppealsContext
from lanshou.appeals.facts import gather, snapshot


def attach_system_evidence(
    session: Session, actx: AppealsContext, appeal: Appeal, violation: Violation, now: datetime
) -> Evidence:
    """Once per round: order, tracking with raw records, contacts, exemptions, rule lines."""
    existing = (
        session.execute(
            select(Evidence).where(
                Evidence.appeal_id == appeal.id,
                Evidence.round == appeal.round,
                Evidence.kind == "system",
            )
        )
        .scalars()
        .first()
    )
    if existing is not None:
        return existing
    body = snapshot(gather(session, actx, violation, now), now)
    data = json.dumps(body, ensure_ascii=False, indent=2, sort_keys=True, default=str).encode()
    stored = actx.store(session).put(data)
    row = Evidence(
        appeal_id=appeal.id,
        sha256=stored.sha256,
        filename=f"system-round{appeal.round}.json",
        media_type="application/json",
        size_bytes=stored.size,
        kind="system",
        metadata_={"generated_at": now.isoformat(), "source": "lanshou"},
        uploaded_by=None,
        uploaded_at=now,
        round=appeal.round,
    )
    session.add(row)
    session.flush()
    return row
