"""``/``: every role lands on its to-do, each count a link to the list filtered to those rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.orm import Session

from lanshou import appeals
from lanshou.adapters.db.engine import unit_of_work
from lanshou.analytics import due_soon_count
from lanshou.domain.roles import Role
from lanshou.domain.tracking import STATUSES
from lanshou.entrypoints.web.context import UserCtx, WebContext
from lanshou.entrypoints.web.rendering import render
from lanshou.i18n import N_
from lanshou.identity import Scope, scope_for
from lanshou.identity import tasks as task_svc
from lanshou.orders import status_counts

router = APIRouter(include_in_schema=False)

# "About to pass": the board's deadlines due within this many hours.
DUE_SOON_HOURS = 6
COMPLAINTS_OPEN = "/complaints?state=open"


@dataclass(frozen=True)
class TodoCard:
    title: str  # an English msgid, translated in the template
    count: int
    href: str
    closes: datetime | None = None  # the first window to close, shown under the count
    urgent: bool = False
    # The title's placeholders (``%(h)s`` …), filled when it is translated.
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class TodoSection:
    title: str
    cards: list[TodoCard]


def _filer(ctx: WebContext, session: Session, scope: Scope) -> TodoSection:
    todo = appeals.filer_todo(session, ctx.runtime.appeals, scope, ctx.now)
    soon = due_soon_count(session, scope, ctx.now, ctx.now + timedelta(hours=DUE_SOON_HOURS))
    return TodoSection(
        N_("Deadlines and appeal windows"),
        [
            TodoCard(
                N_("Deadlines passing within %(h)s hours"),
                soon,
                f"/at-risk?within={DUE_SOON_HOURS}",
                urgent=soon > 0,
                params={"h": DUE_SOON_HOURS},
            ),
            TodoCard(
                N_("Violations you can still appeal"),
                todo.appealable.count,
                "/violations?todo=appealable",
                todo.appealable.closes_first,
            ),
            TodoCard(
                N_("Rejected appeals you can ask to reconsider"),
                todo.reconsiderable.count,
                "/violations?todo=reconsider",
                todo.reconsiderable.closes_first,
            ),
        ],
    )


def _reviewer(
    ctx: WebContext, session: Session, scope: Scope, complaints: bool = True
) -> TodoSection:
    """Appeals to decide and, unless the customer-service section lists them already (an
    admin's home), the buyer complaints only a reviewer may uphold or dismiss."""
    todo = appeals.reviewer_todo(session, scope, ctx.now)
    cards = [
        TodoCard(N_("Cases due today"), todo.due_today, "/review?due=today"),
        TodoCard(N_("Cases overdue"), todo.overdue, "/review?due=overdue", urgent=todo.overdue > 0),
        TodoCard(N_("Cases nobody has claimed"), todo.unclaimed, "/review?unclaimed=1"),
    ]
    if complaints:
        waiting = appeals.cs_todo(session, scope, ctx.now).awaiting_decision
        cards.append(TodoCard(N_("Complaints to uphold or dismiss"), waiting, COMPLAINTS_OPEN))
    return TodoSection(N_("Appeal review"), cards)


def _cs(ctx: WebContext, session: Session, scope: Scope) -> TodoSection:
    todo = appeals.cs_todo(session, scope, ctx.now)
    return TodoSection(
        N_("Buyer complaints"),
        [
            TodoCard(
                N_("Complaints waiting for an answer"),
                todo.awaiting_decision,
                COMPLAINTS_OPEN,
            ),
            TodoCard(
                N_("Upheld complaints whose task is open"), todo.tasks_open, "/complaints?task=open"
            ),
            TodoCard(
                N_("Complaint tasks past their deadline"),
                todo.tasks_overdue,
                "/complaints?task=overdue",
                urgent=todo.tasks_overdue > 0,
            ),
        ],
    )


def _mine(ctx: WebContext, session: Session) -> TodoSection:
    total, overdue = task_svc.open_task_counts(session, ctx.user, ctx.now)
    return TodoSection(
        N_("Assigned to me"),
        [
            TodoCard(N_("Open tasks"), total, "/tasks"),
            TodoCard(
                N_("Tasks past their due date"), overdue, "/tasks?overdue=1", urgent=overdue > 0
            ),
        ],
    )


def todo_sections(ctx: WebContext, session: Session, scope: Scope) -> list[TodoSection]:
    """The role's sections, most pressing first: merchants chase deadlines, reviewers decide,
    customer service answers buyers; an admin sees every section."""
    role = ctx.user.role
    sections = []
    if role.is_merchant or role is Role.ADMIN:
        sections.append(_filer(ctx, session, scope))
    if role in (Role.REVIEWER, Role.ADMIN):
        sections.append(_reviewer(ctx, session, scope, complaints=role is Role.REVIEWER))
    if role in (Role.CS_AGENT, Role.ADMIN):
        sections.append(_cs(ctx, session, scope))
    sections.append(_mine(ctx, session))
    return sections


@router.get("/")
def home(ctx: UserCtx) -> Response:
    with unit_of_work(ctx.runtime.sessions) as session:
        scope = scope_for(session, ctx.user)
        sections = todo_sections(ctx, session, scope)
        counts = None if ctx.user.role.is_merchant else status_counts(session, scope)
    return render(
        ctx,
        "home.html",
        section="home",
        sections=sections,
        counts=counts,
        statuses=STATUSES,
        due_soon_hours=DUE_SOON_HOURS,
    )
