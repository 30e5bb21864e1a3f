"""Appeals (申诉), evidence, dossiers and buyer complaints: one verb-named function per use case.

Windows and limits come from the violation's platform profile; every change of an appeal writes
an ``appeal_events`` row and an audit record; approval reverses the money through the ledger.
"""

from lanshou.appeals.access import (
    FILERS,
    REVIEWERS,
    require_role,
    visible_appeal,
    visible_violation,
)
from lanshou.appeals.bulk import MAX_BULK, AppealDraft, draft_appeals, file_reviewed_appeal
from lanshou.appeals.complaints import (
    TASK_KINDS,
    ComplaintView,
    complete_task,
    decide_complaint,
    escalate_overdue,
    file_complaint,
    get_complaint,
    list_complaints,
)
from lanshou.appeals.context import AppealsContext
from lanshou.appeals.dossier import export_dossier
from lanshou.appeals.evidence import evidence_file, upload_evidence
from lanshou.appeals.explanation import Line as ExplanationLine
from lanshou.appeals.explanation import explain_outcome, explain_violation, shipment_text
from lanshou.appeals.facts import gather
from lanshou.appeals.filing import (
    appeal_window_closes_at,
    create_appeal,
    expire_overdue,
    reconsider_appeal,
    submit_appeal,
    withdraw_appeal,
)
from lanshou.appeals.history import record_event
from lanshou.appeals.penalty import points_text
from lanshou.appeals.review import (
    OTHER_REVIEWER_RULE,
    claim_appeal,
    decide_appeal,
    for_another_reviewer,
)
from lanshou.appeals.todo import (
    QUEUE_DUE,
    CsTodo,
    FilerTodo,
    ReviewerTodo,
    cs_todo,
    filer_todo,
    reviewer_todo,
)
from lanshou.appeals.views import (
    VIOLATION_STATES,
    VIOLATION_TODOS,
    AppealView,
    appeal_view,
    draft_statement,
    list_violations,
    statement_draft_for,
)
from lanshou.appeals.wording import (
    ACTION_LABELS,
    REASON_CODES,
    STATE_LABELS,
    VERDICT_LABELS,
    actor_name,
    due_label,
    event_reason,
    ledger_note,
)
from lanshou.appeals.worklists import QUEUE_STATES, net_fen_by_violation, review_queue, user_names

__all__ = [
    "ACTION_LABELS",
    "FILERS",
    "MAX_BULK",
    "OTHER_REVIEWER_RULE",
    "QUEUE_DUE",
    "QUEUE_STATES",
    "REASON_CODES",
    "REVIEWERS",
    "STATE_LABELS",
    "TASK_KINDS",
    "VERDICT_LABELS",
    "VIOLATION_STATES",
    "VIOLATION_TODOS",
    "AppealDraft",
    "AppealView",
    "AppealsContext",
    "ComplaintView",
    "CsTodo",
    "ExplanationLine",
    "FilerTodo",
    "ReviewerTodo",
    "actor_name",
    "appeal_view",
    "appeal_window_closes_at",
    "claim_appeal",
    "complete_task",
    "create_appeal",
    "cs_todo",
    "decide_appeal",
    "decide_complaint",
    "draft_appeals",
    "draft_statement",
    "due_label",
    "escalate_overdue",
    "event_reason",
    "evidence_file",
    "expire_overdue",
    "explain_outcome",
    "explain_violation",
    "export_dossier",
    "file_complaint",
    "file_reviewed_appeal",
    "filer_todo",
    "for_another_reviewer",
    "gather",
    "get_complaint",
    "ledger_note",
    "list_complaints",
    "list_violations",
    "net_fen_by_violation",
    "points_text",
    "reconsider_appeal",
    "record_event",
    "require_role",
    "review_queue",
    "reviewer_todo",
    "shipment_text",
    "statement_draft_for",
    "submit_appeal",
    "upload_evidence",
    "user_names",
    "visible_appeal",
    "visible_violation",
    "withdraw_appeal",
]
