"""Appeals (申诉), evidence, dossiers and buyer complaints: one verb-named function per use case.

Windows and limits come from the violation's platform profile; every change of an appeal writes
an ``appeal_events`` row and an audit record; approval reverses the money through the ledger.
"""

from lanshou.appeals.complaints import (
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
from lanshou.appeals.filing import (
    create_appeal,
    expire_overdue,
    reconsider_appeal,
    submit_appeal,
    withdraw_appeal,
)
from lanshou.appeals.review import (
    OTHER_REVIEWER_RULE,
    claim_appeal,
    decide_appeal,
    for_another_reviewer,
)
from lanshou.appeals.views import appeal_view, draft_statement, list_violations, statement_draft_for

__all__ = [
    "OTHER_REVIEWER_RULE",
    "AppealsContext",
    "appeal_view",
    "claim_appeal",
    "complete_task",
    "create_appeal",
    "decide_appeal",
    "decide_complaint",
    "draft_statement",
    "escalate_overdue",
    "evidence_file",
    "expire_overdue",
    "export_dossier",
    "file_complaint",
    "for_another_reviewer",
    "get_complaint",
    "list_complaints",
    "list_violations",
    "reconsider_appeal",
    "statement_draft_for",
    "submit_appeal",
    "upload_evidence",
    "withdraw_appeal",
]
