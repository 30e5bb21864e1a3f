"""Appeals (申诉) over JSON: file, add evidence, submit, claim, decide, reconsider, export.

Thin handlers: each builds the call, the services decide; errors map to HTTP in one place
(409 with the current state and the allowed actions, 404 for another tenant's case).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Header, Query, UploadFile, status
from fastapi.responses import Response, StreamingResponse

from lanshou import appeals as svc
from lanshou.appeals import AppealView, visible_appeal
from lanshou.entrypoints.api.deps import CallerDep, DbDep, RuntimeDep, get_appeals
from lanshou.entrypoints.api.language import answer_locale
from lanshou.entrypoints.api.schemas import ErrorPublic
from lanshou.entrypoints.api.schemas_appeals import (
    AppealCreate,
    AppealCreated,
    AppealDecision,
    AppealPublic,
    AppealReconsider,
    AppealWithdraw,
    AssessmentPublic,
    EvidenceCreated,
    EvidencePublic,
    HistoryPublic,
    LedgerEffectPublic,
    LedgerEntryPublic,
    LimitsPublic,
    ReasonPublic,
)
from lanshou.entrypoints.params import DbId

router = APIRouter(
    tags=["appeals"],
    responses={
        401: {"model": ErrorPublic},
        403: {"model": ErrorPublic},
        404: {"model": ErrorPublic},
        409: {"model": ErrorPublic},
        422: {"model": ErrorPublic},
    },
)
ActxDep = Annotated[svc.AppealsContext, Depends(get_appeals)]


def _public(view: AppealView) -> AppealPublic:
    a, lim = view.appeal, view.limits
    return AppealPublic(
        id=a.id,
        violation_id=a.violation_id,
        shop_id=a.shop_id,
        round=a.round,
        state=a.state,
        channel=a.channel,
        venue=a.venue,
        statement=a.statement,
        claimed_by=a.claimed_by,
        decided_by=a.decided_by,
        reason_code=a.reason_code,
        decision_comment=a.decision_comment,
        created_at=a.created_at,
        submitted_at=a.submitted_at,
        due_at=a.due_at,
        decided_at=a.decided_at,
        allowed_actions=view.allowed_actions,
        limits=LimitsPublic(
            window_days=lim.window_days,
            reconsideration_window_days=lim.reconsideration_window_days,
            max_rounds=lim.max_rounds,
            statement_max_chars=lim.statement_max_chars,
            max_images=lim.max_images,
            review_sla_working_days=lim.review_sla_working_days,
        ),
        history=[
            HistoryPublic(
                event=h.event,
                round=h.round,
                from_state=h.from_state,
                to_state=h.to_state,
                actor=h.actor,
                at=h.at,
                reason=h.reason,
                data=h.data,
            )
            for h in view.history
        ],
        evidence=[
            EvidencePublic(
                evidence_id=e.id,
                sha256=e.sha256,
                media_type=e.media_type,
                kind=e.kind,
                size_bytes=e.size_bytes,
                filename=e.filename,
                round=e.round,
                uploaded_at=e.uploaded_at,
                metadata=e.metadata_,
            )
            for e in view.evidence
        ],
        assessment=AssessmentPublic(
            verdict=view.assessment.verdict.value,
            reasons=[
                ReasonPublic(
                    code=r.code, leaning=r.leaning.value, text_zh=r.text_zh, text_en=r.text_en
                )
                for r in view.assessment.reasons
            ],
        ),
        ledger=LedgerEffectPublic(
            entries=[
                LedgerEntryPublic(
                    id=e.id,
                    kind=e.kind,
                    amount_fen=e.amount_fen,
                    reverses_id=e.reverses_id,
                    booked_at=e.booked_at,
                    memo=e.memo,
                )
                for e in view.ledger.entries
            ],
            net_fen=view.ledger.net_fen,
            total_fen=view.ledger.total_fen,
        ),
    )


@router.post("/appeals", response_model=AppealCreated, status_code=status.HTTP_201_CREATED)
def create(
    body: AppealCreate, caller: CallerDep, db: DbDep, runtime: RuntimeDep, actx: ActxDep
) -> AppealCreated:
    """File a draft appeal for a violation; ``due_at`` is when the appeal window closes."""
    a = svc.create_appeal(
        db,
        actx,
        caller,
        body.violation_id,
        body.channel,
        body.statement,
        runtime.clock.now(),
        body.contact_note,
    )
    return AppealCreated(id=a.id, state=a.state, due_at=a.due_at)


@router.post(
    "/appeals/{appeal_id}/evidence",
    response_model=EvidenceCreated,
    status_code=status.HTTP_201_CREATED,
    responses={413: {"model": ErrorPublic}, 415: {"model": ErrorPublic}},
)
def add_evidence(
    appeal_id: DbId,
    file: Annotated[UploadFile, File()],
    caller: CallerDep,
    db: DbDep,
    runtime: RuntimeDep,
    actx: ActxDep,
) -> EvidenceCreated:
    """Upload one file (image, PDF, audio, chat export); its type is read from the bytes."""
    data = file.file.read(actx.max_file_bytes + 1)  # one byte over is enough to refuse
    e = svc.upload_evidence(
        db, actx, caller, appeal_id, file.filename or "file", data, runtime.clock.now()
    )
    return EvidenceCreated(
        evidence_id=e.id,
        sha256=e.sha256,
        media_type=e.media_type,
        kind=e.kind,
        size_bytes=e.size_bytes,
        filename=e.filename,
    )


def _view(
    db: DbDep, actx: svc.AppealsContext, caller: CallerDep, runtime: RuntimeDep, appeal_id: DbId
) -> AppealPublic:
    return _public(svc.appeal_view(db, actx, caller, appeal_id, runtime.clock.now()))


@router.post("/appeals/{appeal_id}/submit", response_model=AppealPublic)
def submit(
    appeal_id: DbId, caller: CallerDep, db: DbDep, runtime: RuntimeDep, actx: ActxDep
) -> AppealPublic:
    """Send to review; system evidence is attached and the review due time set."""
    svc.submit_appeal(db, actx, caller, appeal_id, runtime.clock.now())
    return _view(db, actx, caller, runtime, appeal_id)


@router.post("/appeals/{appeal_id}/claim", response_model=AppealPublic)
def claim(
    appeal_id: DbId, caller: CallerDep, db: DbDep, runtime: RuntimeDep, actx: ActxDep
) -> AppealPublic:
    """A reviewer takes the case; whoever comes second gets 409."""
    svc.claim_appeal(db, actx, caller, appeal_id, runtime.clock.now())
    return _view(db, actx, caller, runtime, appeal_id)


@router.post("/appeals/{appeal_id}/decision", response_model=AppealPublic)
def decision(
    appeal_id: DbId,
    body: AppealDecision,
    caller: CallerDep,
    db: DbDep,
    runtime: RuntimeDep,
    actx: ActxDep,
) -> AppealPublic:
    """approved (penalty reversed) | rejected | need_info."""
    svc.decide_appeal(
        db,
        actx,
        caller,
        appeal_id,
        body.outcome,
        body.reason_code,
        body.comment,
        runtime.clock.now(),
        body.screenshot_evidence_id,
    )
    return _view(db, actx, caller, runtime, appeal_id)


@router.post("/appeals/{appeal_id}/reconsider", response_model=AppealPublic)
def reconsider(
    appeal_id: DbId,
    body: AppealReconsider,
    caller: CallerDep,
    db: DbDep,
    runtime: RuntimeDep,
    actx: ActxDep,
) -> AppealPublic:
    """申诉复议: one more round after a rejection, with new evidence or a changed statement."""
    svc.reconsider_appeal(db, actx, caller, appeal_id, body.statement, runtime.clock.now())
    return _view(db, actx, caller, runtime, appeal_id)


@router.post("/appeals/{appeal_id}/withdraw", response_model=AppealPublic)
def withdraw(
    appeal_id: DbId,
    body: AppealWithdraw,
    caller: CallerDep,
    db: DbDep,
    runtime: RuntimeDep,
    actx: ActxDep,
) -> AppealPublic:
    svc.withdraw_appeal(db, actx, caller, appeal_id, runtime.clock.now(), body.reason)
    return _view(db, actx, caller, runtime, appeal_id)


@router.get("/appeals/{appeal_id}", response_model=AppealPublic)
def detail(
    appeal_id: DbId, caller: CallerDep, db: DbDep, runtime: RuntimeDep, actx: ActxDep
) -> AppealPublic:
    """State, history, evidence, the assessment (advice only) and the ledger effect."""
    return _view(db, actx, caller, runtime, appeal_id)


def _attachment(name: str) -> str:
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


@router.get(
    "/appeals/{appeal_id}/evidence/{evidence_id}",
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def evidence(
    appeal_id: DbId, evidence_id: DbId, caller: CallerDep, db: DbDep, actx: ActxDep
) -> Response:
    """The file as uploaded; anything a browser could run is served as an attachment."""
    f = svc.evidence_file(db, actx, caller, appeal_id, evidence_id)
    headers = {
        "X-Content-Type-Options": "nosniff",
        "ETag": f'"{f.evidence.sha256}"',
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }
    if f.attachment:
        headers["Content-Disposition"] = _attachment(f.evidence.filename)
    media = f.evidence.media_type
    if media.startswith("text/"):
        media += "; charset=utf-8"
    headers["Content-Length"] = str(f.evidence.size_bytes)
    return StreamingResponse(f.chunks, media_type=media, headers=headers)


@router.get("/appeals/{appeal_id}/dossier", responses={200: {"content": {"application/zip": {}}}})
def dossier(
    appeal_id: DbId,
    caller: CallerDep,
    db: DbDep,
    runtime: RuntimeDep,
    actx: ActxDep,
    lang: Annotated[
        str | None,
        Query(max_length=16, description="zh_CN or en: the PDF summary's language"),
    ] = None,
    accept_language: Annotated[str | None, Header(max_length=256)] = None,
) -> Response:
    """整理申诉资料: dossier.json, the evidence files, the contact log and a PDF summary.

    The summary's language: ``lang``, else ``Accept-Language``, else the caller's saved
    language, else the server's default (Chinese unless configured)."""
    appeal = visible_appeal(db, caller, appeal_id)
    locale = answer_locale(lang, accept_language, caller.locale, runtime.settings.default_locale)
    data = svc.export_dossier(db, appeal.id, actx, runtime.clock.now(), locale)
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": _attachment(f"appeal-{appeal.id}.zip")},
    )
