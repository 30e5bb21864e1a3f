"""Bulk actions on the at-risk board and the violations list: remind couriers, assign to a
colleague, file appeals for several violations (drafted, shown for review, then submitted).

Each row runs through the same service as the single action, in its own transaction, so its
audit records are the same and one refusal does not undo the others; the result page lists
every row's outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import select

from lanshou import appeals as svc
from lanshou.adapters.db.engine import unit_of_work
from lanshou.adapters.db.models import Order, Shipment, Violation
from lanshou.alerts import reminders
from lanshou.entrypoints.params import local_form_time, whole_number
from lanshou.entrypoints.web.bulk_rows import RowOutcome, RowRefused, run_rows, selected_ids
from lanshou.entrypoints.web.context import UserCtx, WebContext
from lanshou.entrypoints.web.rendering import may_see_at_risk, render
from lanshou.entrypoints.web.routes.alerts import send_and_log_sms, sms_of
from lanshou.entrypoints.web.routes.appeals import actx_of, rule_labeller
from lanshou.entrypoints.web.routes.at_risk import render_board
from lanshou.entrypoints.web.routes.violations import render_violations
from lanshou.errors import InvalidInput, PermissionDenied
from lanshou.i18n import translate
from lanshou.identity import scope_for
from lanshou.identity import tasks as task_svc

router = APIRouter(include_in_schema=False)

Ids = Annotated[list[str], Form()]
Text = Annotated[str, Form()]


def _labels(
    ctx: WebContext, model: type[Shipment] | type[Violation], ids: list[int]
) -> dict[int, str]:
    """Order numbers of the selected rows the user may see (others are labelled by id)."""
    with unit_of_work(ctx.runtime.sessions) as session:
        scope = scope_for(session, ctx.user)
        q = (
            select(model.id, Order.external_id)
            .join(Order, Order.id == model.order_id)
            .where(model.id.in_(ids or [-1]))
        )
        if scope.shop_ids is not None:
            q = q.where(Order.shop_id.in_(sorted(scope.shop_ids) or [-1]))
        return {int(i): str(ext) for i, ext in session.execute(q).all()}


def _results(ctx: WebContext, title: str, back: str, outcomes: list[RowOutcome]) -> Response:
    done = sum(1 for o in outcomes if o.ok)
    return render(
        ctx,
        "bulk/results.html",
        section="violations" if back.startswith("/violations") else "at_risk",
        title=title,
        back=back,
        outcomes=outcomes,
        done=done,
        failed=len(outcomes) - done,
    )


def _assigner(
    ctx: WebContext, kind: str, assignee: str, due: str, note: str
) -> Callable[[int], tuple[str, str]]:
    """The per-row action of "assign to a colleague" (the form is checked once, up front)."""
    assignee_id = whole_number(assignee) if assignee else None
    if assignee_id is None:
        raise InvalidInput("choose a colleague", field="assignee_id")
    due_at = local_form_time("due_at", due)

    def assign(entity_id: int) -> tuple[str, str]:
        with unit_of_work(ctx.runtime.sessions) as session:
            task_svc.assign(
                session,
                ctx.user,
                entity_type=kind,
                entity_id=entity_id,
                assignee_id=assignee_id,
                due_at=due_at,
                note=note,
                now=ctx.now,
            )
        return translate(ctx.locale, "Assigned."), f"/assign?entity={kind}:{entity_id}"

    return assign


def _reminder(ctx: WebContext, request: Request) -> Callable[[int], tuple[str, str]]:
    """The per-row action of "remind couriers": the SMS of the single reminder page, logged."""
    sms = sms_of(request)

    def remind(shipment_id: int) -> tuple[str, str]:
        with unit_of_work(ctx.runtime.sessions) as session:
            item = reminders.reminder_for(
                session, scope_for(session, ctx.user), shipment_id, ctx.locale
            )
        number = reminders.check_phone(item.courier_phone or "")
        result = send_and_log_sms(ctx, sms, item, number)
        if not result.ok:
            raise RowRefused(
                translate(
                    ctx.locale, "The SMS could not be sent: %(reason)s", reason=result.error or ""
                )
            )
        return translate(ctx.locale, "SMS sent and logged."), ""

    return remind


def _too_many(ctx: WebContext, ids: list[int]) -> str:
    if not ids:
        return translate(ctx.locale, "Select at least one row first.")
    if len(ids) > svc.MAX_BULK:
        return translate(ctx.locale, "Select at most %(n)s rows at once.", n=svc.MAX_BULK)
    return ""


@router.post("/at-risk/bulk")
def board_bulk(
    ctx: UserCtx,
    request: Request,
    action: Text = "",
    shipment_id: Ids = [],  # noqa: B006 - FastAPI reads the default, never mutates it
    assignee_id: Text = "",
    due_at: Text = "",
    note: Text = "",
) -> Response:
    if not may_see_at_risk(ctx.user):
        raise PermissionDenied("the at-risk board is for merchants, customer service and admins")
    ids = selected_ids(shipment_id)
    if error := _too_many(ctx, ids):
        return render_board(ctx, 422, error)
    labels = _labels(ctx, Shipment, ids)
    try:
        if action == "assign":
            act = _assigner(ctx, "shipment", assignee_id, due_at, note)
            title = translate(ctx.locale, "Assign to a colleague")
        elif action == "remind":
            act, title = _reminder(ctx, request), translate(ctx.locale, "Remind couriers")
        else:
            raise InvalidInput("unknown bulk action", field="action")
    except InvalidInput as exc:
        return render_board(ctx, 422, _form_error(ctx, exc))
    outcomes = run_rows(ctx.locale, ids, lambda i: labels.get(i, f"#{i}"), act)
    return _results(ctx, title, "/at-risk", outcomes)


def _form_error(ctx: WebContext, exc: InvalidInput) -> str:
    field = exc.details.get("field")
    if field == "assignee_id":
        return translate(ctx.locale, "Choose the colleague to assign the rows to.")
    if field == "due_at":
        return translate(ctx.locale, "The due date is not a valid date and time.")
    return translate(ctx.locale, "Choose what to do with the selected rows.")


@router.post("/violations/bulk")
def violations_bulk(
    ctx: UserCtx,
    action: Text = "",
    violation_id: Ids = [],  # noqa: B006
    assignee_id: Text = "",
    due_at: Text = "",
    note: Text = "",
) -> Response:
    """assign: done at once; appeal: drafts shown for review, nothing filed yet."""
    ids = selected_ids(violation_id)
    if error := _too_many(ctx, ids):
        return render_violations(ctx, 422, error)
    if action == "appeal":
        return _appeal_review(ctx, ids)
    try:
        if action != "assign":
            raise InvalidInput("unknown bulk action", field="action")
        act = _assigner(ctx, "violation", assignee_id, due_at, note)
    except InvalidInput as exc:
        return render_violations(ctx, 422, _form_error(ctx, exc))
    labels = _labels(ctx, Violation, ids)
    outcomes = run_rows(ctx.locale, ids, lambda i: labels.get(i, f"#{i}"), act)
    return _results(ctx, translate(ctx.locale, "Assign to a colleague"), "/violations", outcomes)


def _appeal_review(ctx: WebContext, ids: list[int]) -> Response:
    with unit_of_work(ctx.runtime.sessions) as session:
        drafts, refused = svc.draft_appeals(session, actx_of(ctx), ctx.user, ids, ctx.now)
    labels = _labels(ctx, Violation, refused)
    return render(
        ctx,
        "bulk/appeals.html",
        section="violations",
        drafts=drafts,
        refused=[(i, labels.get(i, f"#{i}")) for i in refused],
        rule_label=rule_labeller(ctx),
    )


@router.post("/violations/bulk/appeals")
def file_appeals(
    ctx: UserCtx,
    violation_id: Ids = [],  # noqa: B006
    statement: Ids = [],  # noqa: B006
    confirm: Ids = [],  # noqa: B006
) -> Response:
    """File and submit the reviewed drafts the user kept ticked, each with its own statement."""
    statements = dict(zip(selected_ids(violation_id), statement, strict=False))
    ids = [i for i in selected_ids(confirm) if i in statements]
    if error := _too_many(ctx, ids):
        return render_violations(ctx, 422, error)
    labels = _labels(ctx, Violation, ids)

    def file(vid: int) -> tuple[str, str]:
        with unit_of_work(ctx.runtime.sessions) as session:
            appeal = svc.file_reviewed_appeal(
                session, actx_of(ctx), ctx.user, vid, statements[vid], ctx.now
            )
        return translate(ctx.locale, "Appeal submitted."), f"/appeals/{appeal.id}"

    outcomes = run_rows(ctx.locale, ids, lambda i: labels.get(i, f"#{i}"), file)
    return _results(ctx, translate(ctx.locale, "File appeals"), "/violations", outcomes)
