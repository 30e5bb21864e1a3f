"""Merchant evidence (证明材料): sniffed, size-checked, stored once by SHA-256, served safely."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lanshou.adapters.db.models import Appeal, Evidence, Violation
from lanshou.adapters.storage.base import sha256_of
from lanshou.adapters.storage.exif import photo_metadata
from lanshou.adapters.storage.sniff import ACCEPTED, UnacceptableFile, sanitise_filename, sniff
from lanshou.appeals.access import FILERS, require_role, visible_appeal
from lanshou.appeals.context import AppealsContext
from lanshou.appeals.filing import limit_invalid
from lanshou.appeals.history import conflict, record_event
from lanshou.domain.appeals.limits import LimitExceeded
from lanshou.domain.appeals.machine import AppealState as S
from lanshou.domain.appeals.venue import Venue
from lanshou.errors import NotFound, PayloadTooLarge, UnsupportedMediaType
from lanshou.identity import Principal

_OPEN_FOR_EVIDENCE = {S.DRAFT.value, S.NEED_INFO.value, S.REJECTED.value}
# Seller mode: the platform's decision is recorded with a screenshot while the case is with it.
_OPEN_EXTERNAL = {S.SUBMITTED.value, S.UNDER_REVIEW.value, S.RECONSIDERATION.value}


def _target_round(appeal: Appeal) -> int:
    """Evidence added after a rejection belongs to the reconsideration round it prepares."""
    return appeal.round + 1 if appeal.state == S.REJECTED.value else appeal.round


def upload_evidence(
    session: Session,
    actx: AppealsContext,
    caller: Principal,
    appeal_id: int,
    filename: str,
    data: bytes,
    now: datetime,
) -> Evidence:
    require_role(caller, FILERS, "add evidence")
    appeal = visible_appeal(session, caller, appeal_id)
    violation = session.get_one(Violation, appeal.violation_id)
    limits = actx.limits(violation)
    open_states = _OPEN_FOR_EVIDENCE | (_OPEN_EXTERNAL if appeal.venue == Venue.EXTERNAL else set())
    if appeal.state not in open_states:
        raise conflict(
            appeal, limits, f"evidence cannot be added while the appeal is {appeal.state}"
        )
    if len(data) > actx.max_file_bytes:
        raise PayloadTooLarge(
            f"a file may be at most {actx.max_file_bytes} bytes",
            scope="file",
            limit=actx.max_file_bytes,
            actual=len(data),
        )
    used = session.execute(
        select(func.coalesce(func.sum(Evidence.size_bytes), 0)).where(
            Evidence.appeal_id == appeal.id, Evidence.kind != "system"
        )
    ).scalar_one()
    if used + len(data) > actx.max_case_bytes:
        raise PayloadTooLarge(
            f"a case may hold at most {actx.max_case_bytes} bytes of evidence",
            scope="case",
            limit=actx.max_case_bytes,
            actual=int(used) + len(data),
        )
    name = sanitise_filename(filename)
    try:
        kind = sniff(data, name)
    except UnacceptableFile as exc:
        raise UnsupportedMediaType(str(exc), accepted=sorted(ACCEPTED)) from exc
    round_no = _target_round(appeal)
    existing = (
        session.execute(
            select(Evidence).where(
                Evidence.appeal_id == appeal.id,
                Evidence.round == round_no,
                Evidence.kind != "system",
            )
        )
        .scalars()
        .all()
    )
    digest = sha256_of(data)  # once: a 10 MB file is not hashed per existing row
    same = next((e for e in existing if e.sha256 == digest), None)
    if same is not None:
        return same  # the same bytes again: nothing new to store or count
    if kind.kind == "image":
        try:
            limits.check_images(sum(1 for e in existing if e.kind == "image") + 1)
        except LimitExceeded as exc:
            raise limit_invalid(exc) from exc
    stored = actx.store(session).put(data)
    metadata: dict[str, object] = {"original_name": filename[:255]}
    if kind.kind == "image":
        metadata.update(photo_metadata(data))
    row = Evidence(
        appeal_id=appeal.id,
        sha256=stored.sha256,
        filename=name,
        media_type=kind.media_type,
        size_bytes=len(data),
        kind=kind.kind,
        metadata_=metadata,
        uploaded_by=caller.user_id,
        uploaded_at=now,
        round=round_no,
    )
    session.add(row)
    session.flush()
    record_event(
        session,
        appeal,
        "add_evidence",
        appeal.state,
        caller,
        now,
        data={"evidence_id": row.id, "sha256": row.sha256, "kind": row.kind, "for_round": round_no},
    )
    return row


@dataclass(frozen=True)
class EvidenceFile:
    evidence: Evidence
    chunks: Iterator[bytes]  # the file as uploaded, piece by piece; read it once
    attachment: bool  # serve with Content-Disposition: attachment (anything a browser may run)


def evidence_file(
    session: Session, actx: AppealsContext, caller: Principal, appeal_id: int, evidence_id: int
) -> EvidenceFile:
    """The file of one piece of evidence, for a response to stream: its pieces are read from
    the store as they are sent (each in a short read of its own, not in ``session``, which may
    be closed by then), so a file is never whole in memory. A file missing from the store is
    :class:`NotFound` here, before anything is sent."""
    appeal = visible_appeal(session, caller, appeal_id)
    row = session.get(Evidence, evidence_id)
    if row is None or row.appeal_id != appeal.id:
        raise NotFound(f"evidence {evidence_id} not found")
    pieces = actx.storage.chunks(row.sha256)
    try:
        first = next(pieces, b"")
    except FileNotFoundError as exc:
        raise NotFound(f"the file of evidence {evidence_id} is missing from storage") from exc
    inline = row.media_type in ("image/jpeg", "image/png", "image/webp")
    return EvidenceFile(row, itertools.chain((first,), pieces), attachment=not inline)


def list_evidence(session: Session, appeal_id: int) -> list[Evidence]:
    return list(
        session.execute(
            select(Evidence).where(Evidence.appeal_id == appeal_id).order_by(Evidence.id)
        ).scalars()
    )


__all__ = ["EvidenceFile", "evidence_file", "list_evidence", "upload_evidence"]
