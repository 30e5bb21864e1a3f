"""Appeal pages: file an appeal (online, or by customer service), the case page with its evidence
viewer, and the merchant's actions (submit, withdraw, reconsider, answer a question, record the
platform's decision in seller mode). Every action calls the same services as the API."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from lanshou import appeals as svc
from lanshou.adapters.db.engine import unit_of_work
from lanshou.adapters.db.models import Appeal, Order, Shop, Violation
from lanshou.analytics import log_contact
from lanshou.appeals import (
    ACTION_LABELS,
    FILERS,
    VERDICT_LABELS,
    ExplanationLine,
    actor_name,
    appeal_window_closes_at,
    event_reason,
    explain_violation,
    gather,
    ledger_note,
    points_text,
    require_role,
    user_names,
    visible_appeal,
    visible_violation,
)

# Re-exported for the review and violations pages, which show the same words.
from lanshou.appeals import REASON_CODES as REASON_CODES
from lanshou.appeals import STATE_LABELS as STATE_LABELS
from lanshou.domain.appeals.venue import Venue
from lanshou.domain.roles import Role
from lanshou.enforcement import assumption_lines
from lanshou.entrypoints.params import DbId, local_form_time
from lanshou.entrypoints.web import flash
from lanshou.entrypoints.web.context import UserCtx, WebContext
from lanshou.entrypoints.web.flash import CONTACT_LOGGED
from lanshou.entrypoints.web.rendering import redirect, render
from lanshou.errors import (
    Conflict,
    InvalidInput,
    LanshouError,
    PayloadTooLarge,
    PermissionDenied,
    UnsupportedMediaType,
)
from lanshou.i18n import N_, translate
from lanshou.i18n.format import file_size, local_time
from lanshou.identity import scope_for

router = APIRouter(include_in_schema=False)

Files = Annotated[list[UploadFile] | None, File()]
SUBMITTED = N_("Appeal #%(id)s submitted. You will see the decision on this page.")
DRAFT_SAVED = N_("Draft saved. Submit it when it is ready.")
ACCEPT = ".jpg,.jpeg,.png,.webp,.pdf,.mp3,.m4a,.amr,.txt,.html,.htm,.xlsx"


def rule_labeller(ctx: WebContext) -> Callable[[Violation], str]:
    """Names a violation's rule as its profile does, in the user's language (for templates)."""
    actx = actx_of(ctx)
    return lambda violation: actx.profile(violation).rule_label(violation.rule_id, ctx.locale)


def actx_of(ctx: WebContext) -> svc.AppealsContext:
    return ctx.runtime.appeals


# What the system does on its own (a window running out), never a person's next step.
SYSTEM_ACTIONS = frozenset({"expire"})
# Between the items of a list in a sentence: 「认领、撤回」, "Claim, Withdraw".
LIST_SEPARATOR = N_(", ")


def error_message(locale: str, exc: LanshouError, filename: str = "") -> str:
    """One readable sentence for a refused action, in the user's language."""
    d = exc.details
    if isinstance(exc, UnsupportedMediaType):
        return translate(
            locale,
            "The file %(name)s was not accepted: its content is not an "
            "accepted type or does not match its name. Accepted: JPEG, PNG, WebP, "
            "PDF, MP3, M4A, AMR, TXT, HTML, XLSX.",
            name=filename or "?",
        )
    if isinstance(exc, PermissionDenied) and d.get("rule") == svc.OTHER_REVIEWER_RULE:
        return translate(
            locale,
            "This is a reconsideration and you decided an earlier round: another reviewer "
            "must decide it. It stays in the queue for them.",
        )
    if isinstance(exc, PayloadTooLarge):
        limit = file_size(int(d.get("limit", 0)))  # type: ignore[call-overload]
        if d.get("scope") == "case":
            return translate(
                locale,
                "With the file %(name)s this case's evidence would pass %(limit)s in all, the "
                "most one case may hold. Upload only the files that show what happened.",
                name=filename or "?",
                limit=limit,
            )
        return translate(
            locale,
            "The file %(name)s is too large: each file may be at most %(limit)s. Make it "
            "smaller (a photo at a lower resolution, a shorter recording) and upload it again.",
            name=filename or "?",
            limit=limit,
        )
    if isinstance(exc, InvalidInput):
        if d.get("field") == "statement" and "limit" in d:
            return translate(
                locale,
                "The statement is limited to %(limit)s characters; it has %(actual)s.",
                limit=d["limit"],
                actual=d["actual"],
            )
        if d.get("field") == "images":
            return translate(locale, "At most %(limit)s images per round.", limit=d["limit"])
        if d.get("field") == "statement":
            return translate(
                locale,
                "A reconsideration needs new evidence or a changed "
                "statement; an appeal needs a statement or evidence.",
            )
        if d.get("field") == "reason_code":
            return translate(locale, "Choose a reason code.")
        if d.get("field") == "occurred_at":
            return translate(
                locale,
                "When the contact happened must be a date and time between the order's "
                "payment and now.",
            )
        if d.get("field") == "screenshot_evidence_id":
            return translate(locale, "Attach a screenshot of the platform's decision.")
        return translate(locale, "Some of the input was not valid. Please check it and try again.")
    if isinstance(exc, Conflict):
        if "window" in d:
            return translate(
                locale,
                "The time limit has passed: it closed at %(at)s.",
                at=_iso_local(str(d.get("closed_at", ""))),
            )
        if "state" in d:
            allowed = [
                translate(locale, ACTION_LABELS.get(str(a), str(a)))
                for a in d.get("allowed_actions", []) or []  # type: ignore[attr-defined]
                if a not in SYSTEM_ACTIONS
            ]
            state = translate(locale, STATE_LABELS.get(str(d["state"]), str(d["state"])))
            if not allowed:
                return translate(
                    locale,
                    "This cannot be done now: the appeal is %(state)s, and nothing more "
                    "can be done on it.",
                    state=state,
                )
            return translate(
                locale,
                "This cannot be done now: the appeal is %(state)s. "
                "What you can do now: %(actions)s.",
                state=state,
                actions=translate(locale, LIST_SEPARATOR).join(allowed),
            )
        return translate(
            locale,
            "This cannot be done now: someone changed the record meanwhile. "
            "Reload the page and try again.",
        )
    return translate(locale, "Some of the input was not valid. Please check it and try again.")


def _iso_local(value: str) -> str:
    try:
        return local_time(datetime.fromisoformat(value))
    except ValueError:
        return value


def _read(upload: UploadFile, limit: int) -> tuple[str, bytes]:
    return upload.filename or "file", upload.file.read(limit + 1)


def add_files(
    session: Session,
    actx: svc.AppealsContext,
    ctx: WebContext,
    appeal_id: int,
    files: list[UploadFile] | None,
) -> list[int]:
    """Upload each chosen file; the first refusal aborts the whole form (one transaction)."""
    ids = []
    for upload in files or []:
        if not upload.filename:
            continue  # an empty file input still sends one nameless part
        name, data = _read(upload, actx.max_file_bytes)
        try:
            ids.append(
                svc.upload_evidence(session, actx, ctx.user, appeal_id, name, data, ctx.now).id
            )
        except (UnsupportedMediaType, PayloadTooLarge) as exc:
            exc.details["filename"] = name
            raise
    return ids


def _file_error(ctx: WebContext, exc: LanshouError) -> str:
    return error_message(ctx.locale, exc, str(exc.details.get("filename", "")))


# ---- filing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FilingPage:
    violation: Violation
    order: Order
    shop: Shop
    limit: int
    max_images: int
    max_size: str  # the largest file one upload may carry, e.g. "10 MB"
    draft: str
    closes_at: datetime  # the appeal window, counted from the breach
    window_open: bool
    explanation: list[ExplanationLine]  # 判定说明, in the user's language


def _filing(session: Session, ctx: WebContext, violation_id: int) -> FilingPage:
    actx = actx_of(ctx)
    v = visible_violation(session, ctx.user, violation_id)
    limits = actx.limits(v)
    draft = svc.statement_draft_for(session, actx, ctx.user, violation_id, ctx.now)
    closes = appeal_window_closes_at(actx, v)
    explanation = explain_violation(ctx.locale, actx, gather(session, actx, v, ctx.now), ctx.now)
    return FilingPage(
        v,
        session.get_one(Order, v.order_id),
        session.get_one(Shop, v.shop_id),
        limits.statement_max_chars,
        limits.max_images,
        file_size(actx.max_file_bytes),
        draft,
        closes,
        ctx.now <= closes,
        explanation,
    )


def _render_filing(
    ctx: WebContext,
    violation_id: int,
    status: int = 200,
    error: str = "",
    statement: str | None = None,
    contact_note: str = "",
) -> Response:
    with unit_of_work(ctx.runtime.sessions) as session:
        page = _filing(session, ctx, violation_id)
    return render(
        ctx,
        "appeals/new.html",
        status,
        section="violations",
        p=page,
        error=error,
        statement=page.draft if statement is None else statement,
        contact_note=contact_note,
        accept=ACCEPT,
        rule_label=rule_labeller(ctx),
        seller=actx_of(ctx).venue == Venue.EXTERNAL,
    )


@router.get("/violations/{violation_id}/appeal")
def new_appeal(ctx: UserCtx, violation_id: DbId) -> Response:
    """The filing form; a violation that already has an open case leads to that case."""
    require_role(ctx.user, FILERS, "file appeals")
    with unit_of_work(ctx.runtime.sessions) as session:
        visible_violation(session, ctx.user, violation_id)
        existing = (
            session.execute(
                select(Appeal.id)
                .where(
                    Appeal.violation_id == violation_id,
                    Appeal.state.not_in(("withdrawn", "expired")),
                )
                .order_by(Appeal.id.desc())
            )
            .scalars()
            .first()
        )
    if existing is not None:
        return redirect(f"/appeals/{existing}")
    return _render_filing(ctx, violation_id)


@router.post("/violations/{violation_id}/appeal")
def file_appeal(
    ctx: UserCtx,
    violation_id: DbId,
    statement: Annotated[str, Form()] = "",
    contact_note: Annotated[str, Form()] = "",
    action: Annotated[str, Form()] = "submit",
    files: Files = None,
) -> Response:
    """Create the draft, add the files and (unless saved as a draft) submit, all or nothing."""
    actx = actx_of(ctx)
    channel = "customer_service" if ctx.user.role is Role.CS_AGENT else "online"
    if channel == "customer_service" and not contact_note.strip():
        return _render_filing(
            ctx,
            violation_id,
            422,
            translate(ctx.locale, "Write down the call or chat with the merchant."),
            statement,
            contact_note,
        )
    try:
        with unit_of_work(ctx.runtime.sessions) as session:
            appeal = svc.create_appeal(
                session,
                actx,
                ctx.user,
                violation_id,
                channel,
                statement,
                ctx.now,
                contact_note or None,
            )
            add_files(session, actx, ctx, appeal.id, files)
            if action == "submit":
                svc.submit_appeal(session, actx, ctx.user, appeal.id, ctx.now)
            appeal_id = appeal.id
    except (InvalidInput, Conflict, PayloadTooLarge, UnsupportedMediaType) as exc:
        return _render_filing(
            ctx, violation_id, exc.http_status, _file_error(ctx, exc), statement, contact_note
        )
    if action == "submit":
        return flash.success(ctx, f"/appeals/{appeal_id}", SUBMITTED, id=appeal_id)
    return flash.success(ctx, f"/appeals/{appeal_id}", DRAFT_SAVED)


# ---- the case page ---------------------------------------------------------------------------


def case_values(session: Session, ctx: WebContext, appeal_id: int) -> dict[str, object]:
    """Everything the case page and the review page show about one appeal."""
    actx = actx_of(ctx)
    view = svc.appeal_view(session, actx, ctx.user, appeal_id, ctx.now)
    g = view.gathered  # gathered once, for the assessment
    a = view.appeal
    # Everyone in the history too: a reconsideration clears decided_by, yet its history still
    # names the first round's reviewer.
    people = {a.claimed_by, a.decided_by, a.created_by} | {ev.user_id for ev in view.history}
    names = user_names(session, people)
    rule_id = view.violation.rule_id
    label = actx.profile(view.violation).rule_label(rule_id, ctx.locale)
    return {
        "v": view,
        "a": a,
        "g": g,
        "names": names,
        "order": g.order,
        "shop": session.get_one(Shop, a.shop_id),
        "reason_codes": REASON_CODES,
        "state_labels": STATE_LABELS,
        "action_labels": ACTION_LABELS,
        "verdict_labels": VERDICT_LABELS,
        "rule_label": rule_labeller(ctx),
        "due_label": lambda state: svc.due_label(ctx.locale, state),
        "explanation": explain_violation(ctx.locale, actx, g, ctx.now),
        "points_text": points_text,
        "ledger_note": lambda e: ledger_note(ctx.locale, e, rule_id, label, say_reversal=False),
        "event_reason": lambda reason: event_reason(ctx.locale, reason),
        "actor_name": lambda ev: actor_name(ctx.locale, ev.actor, ev.user_id, names),
        # the profile's notes on its guesses are for `explain`; the merchant reads which figures
        "assumptions": assumption_lines(
            actx.profile(view.violation), ctx.locale, [view.violation.rule_id], with_basis=False
        ),
        "accept": ACCEPT,
        "max_size": file_size(actx.max_file_bytes),
        "merchant_files": [e for e in view.evidence if e.kind != "system"],
        "system_files": [e for e in view.evidence if e.kind == "system"],
        "is_filer": ctx.user.role in FILERS,
        "is_reviewer": ctx.user.role in (Role.REVIEWER, Role.ADMIN),
        "external": a.venue == Venue.EXTERNAL,
    }


def render_case(
    ctx: WebContext,
    appeal_id: int,
    status: int = 200,
    error: str = "",
    statement: str | None = None,
) -> Response:
    with unit_of_work(ctx.runtime.sessions) as session:
        values = case_values(session, ctx, appeal_id)
    return render(
        ctx,
        "appeals/case.html",
        status,
        section="violations",
        error=error,
        statement=statement,
        **values,
    )


@router.get("/appeals/{appeal_id}")
def case(ctx: UserCtx, appeal_id: DbId) -> Response:
    """Another tenant's case is NotFound, rendered as the 404 page."""
    return render_case(ctx, appeal_id)


def _act(
    ctx: WebContext,
    appeal_id: int,
    work: object,
    done: str,
    statement: str | None = None,
) -> Response:
    """Run one action; success returns to the case saying ``done`` (a msgid), a refusal
    re-renders the case with the reason and the right status."""
    assert callable(work)
    try:
        with unit_of_work(ctx.runtime.sessions) as session:
            work(session)
    except (InvalidInput, Conflict, PayloadTooLarge, UnsupportedMediaType) as exc:
        return render_case(ctx, appeal_id, exc.http_status, _file_error(ctx, exc), statement)
    return flash.success(ctx, f"/appeals/{appeal_id}", done, id=appeal_id)


@router.post("/appeals/{appeal_id}/submit")
def submit(
    ctx: UserCtx, appeal_id: DbId, answer: Annotated[str, Form()] = "", files: Files = None
) -> Response:
    """Submit a draft, or answer a request for information (text and files) and resubmit."""
    actx = actx_of(ctx)

    def work(session: Session) -> None:
        add_files(session, actx, ctx, appeal_id, files)
        if answer.strip():
            a = visible_appeal(session, ctx.user, appeal_id)
            svc.upload_evidence(
                session,
                actx,
                ctx.user,
                appeal_id,
                f"answer-round{a.round}.txt",
                answer.strip().encode(),
                ctx.now,
            )
        svc.submit_appeal(session, actx, ctx.user, appeal_id, ctx.now)

    answered = N_("Answer sent: appeal #%(id)s is back with the reviewer.")
    return _act(ctx, appeal_id, work, answered if answer.strip() else SUBMITTED)


@router.post("/appeals/{appeal_id}/evidence")
def add_evidence(ctx: UserCtx, appeal_id: DbId, files: Files = None) -> Response:
    actx = actx_of(ctx)
    added = N_("Files added to appeal #%(id)s.")
    return _act(ctx, appeal_id, lambda s: add_files(s, actx, ctx, appeal_id, files), added)


@router.post("/appeals/{appeal_id}/withdraw")
def withdraw(ctx: UserCtx, appeal_id: DbId, reason: Annotated[str, Form()] = "") -> Response:
    actx = actx_of(ctx)
    return _act(
        ctx,
        appeal_id,
        lambda s: svc.withdraw_appeal(s, actx, ctx.user, appeal_id, ctx.now, reason[:500]),
        N_("Appeal #%(id)s withdrawn."),
    )


@router.post("/appeals/{appeal_id}/reconsider")
def reconsider(
    ctx: UserCtx, appeal_id: DbId, statement: Annotated[str, Form()] = "", files: Files = None
) -> Response:
    """申诉复议: new files go to the next round, then the case returns to review."""
    actx = actx_of(ctx)

    def work(session: Session) -> None:
        add_files(session, actx, ctx, appeal_id, files)
        svc.reconsider_appeal(session, actx, ctx.user, appeal_id, statement, ctx.now)

    again = N_("Reconsideration of appeal #%(id)s submitted: it is back in review.")
    return _act(ctx, appeal_id, work, again, statement)


@router.post("/appeals/{appeal_id}/platform-decision")
def platform_decision(
    ctx: UserCtx,
    appeal_id: DbId,
    outcome: Annotated[str, Form()] = "",
    reason_code: Annotated[str, Form()] = "",
    comment: Annotated[str, Form()] = "",
    files: Files = None,
) -> Response:
    """Seller mode: record what the platform decided, with its screenshot."""
    actx = actx_of(ctx)

    def work(session: Session) -> None:
        ids = add_files(session, actx, ctx, appeal_id, files)
        svc.decide_appeal(
            session,
            actx,
            ctx.user,
            appeal_id,
            outcome,
            reason_code or None,
            comment[:2000],
            ctx.now,
            ids[-1] if ids else None,
        )

    return _act(ctx, appeal_id, work, N_("The platform's decision is recorded."))


@router.post("/appeals/{appeal_id}/contacts")
def add_contact(
    ctx: UserCtx,
    appeal_id: DbId,
    counterpart_kind: Annotated[str, Form()] = "courier",
    counterpart_name: Annotated[str, Form()] = "",
    channel: Annotated[str, Form()] = "phone",
    summary: Annotated[str, Form()] = "",
    occurred_at: Annotated[str, Form()] = "",
) -> Response:
    """A call or chat about the case goes into the order's contact log, at the time it
    happened (the form's default is now)."""
    require_role(ctx.user, FILERS, "log contacts")

    def work(session: Session) -> None:
        a = visible_appeal(session, ctx.user, appeal_id)
        v = session.get_one(Violation, a.violation_id)
        log_contact(
            session,
            scope_for(session, ctx.user),
            shipment_id=v.shipment_id,
            user_id=ctx.user.user_id,
            counterpart_kind=counterpart_kind,
            counterpart_name=counterpart_name,
            channel=channel,
            summary=summary,
            now=ctx.now,
            occurred_at=local_form_time("occurred_at", occurred_at),
        )

    return _act(ctx, appeal_id, work, CONTACT_LOGGED)


def attachment(name: str) -> str:
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


@router.get("/appeals/{appeal_id}/evidence/{evidence_id}")
def evidence(ctx: UserCtx, appeal_id: DbId, evidence_id: DbId) -> Response:
    """The file as uploaded: images inline, anything a browser could run as an attachment."""
    with unit_of_work(ctx.runtime.sessions) as session:
        f = svc.evidence_file(session, actx_of(ctx), ctx.user, appeal_id, evidence_id)
    headers = {
        "X-Content-Type-Options": "nosniff",
        "ETag": f'"{f.evidence.sha256}"',
        "Content-Security-Policy": "default-src 'none'; sandbox",
        # A photo of a tenant's parcel is as private as the case page: not kept for Back.
        "Cache-Control": "no-store",
    }
    if f.attachment:
        headers["Content-Disposition"] = attachment(f.evidence.filename)
    media = f.evidence.media_type
    if media.startswith("text/"):
        media += "; charset=utf-8"
    headers["Content-Length"] = str(f.evidence.size_bytes)
    return StreamingResponse(f.chunks, media_type=media, headers=headers)


@router.get("/appeals/{appeal_id}/dossier")
def dossier(ctx: UserCtx, appeal_id: DbId) -> Response:
    """整理申诉资料: the zip with dossier.json, the files, the contact log and summary.pdf."""
    with unit_of_work(ctx.runtime.sessions) as session:
        appeal = visible_appeal(session, ctx.user, appeal_id)
        data = svc.export_dossier(session, appeal.id, actx_of(ctx), ctx.now, ctx.locale)
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": attachment(f"appeal-{appeal_id}.zip")},
    )
