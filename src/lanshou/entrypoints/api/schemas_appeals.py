"""Request and response shapes of the appeals, violations and complaints API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from lanshou.entrypoints.params import DbId


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AppealCreate(_In):
    violation_id: DbId
    channel: Literal["online", "customer_service"] = "online"
    # Length is checked against the platform profile (422 with the limit), not here.
    statement: str = Field("", max_length=20000)
    contact_note: str | None = Field(None, max_length=2000, description="cs channel: call note")


class AppealDecision(_In):
    outcome: Literal["approved", "rejected", "need_info"]
    reason_code: str | None = Field(None, max_length=64)
    comment: str = Field("", max_length=2000)
    screenshot_evidence_id: DbId | None = Field(
        None, description="seller mode: the platform's decision screenshot"
    )


class AppealReconsider(_In):
    statement: str = Field("", max_length=20000)


class AppealWithdraw(_In):
    reason: str = Field("", max_length=2000)


class AppealCreated(BaseModel):
    id: int
    state: str
    due_at: datetime | None


class EvidenceCreated(BaseModel):
    evidence_id: int
    sha256: str
    media_type: str
    kind: str
    size_bytes: int
    filename: str


class EvidencePublic(EvidenceCreated):
    round: int
    uploaded_at: datetime
    metadata: dict[str, Any] | None


class HistoryPublic(BaseModel):
    event: str
    round: int
    from_state: str | None
    to_state: str
    actor: str
    at: datetime
    reason: str
    data: dict[str, Any]


class ReasonPublic(BaseModel):
    code: str
    leaning: str
    text_zh: str
    text_en: str


class AssessmentPublic(BaseModel):
    verdict: str
    reasons: list[ReasonPublic]
    note: str = "a recommendation only; a reviewer decides"


class LedgerEntryPublic(BaseModel):
    id: int
    kind: str
    amount_fen: int
    reverses_id: int | None
    booked_at: datetime
    memo: str


class LedgerEffectPublic(BaseModel):
    entries: list[LedgerEntryPublic]
    net_fen: dict[str, int]
    total_fen: int


class LimitsPublic(BaseModel):
    window_days: int
    reconsideration_window_days: int
    max_rounds: int
    statement_max_chars: int
    max_images: int
    review_sla_working_days: int


class AppealPublic(BaseModel):
    id: int
    violation_id: int
    shop_id: int
    round: int
    state: str
    channel: str
    venue: str
    statement: str
    claimed_by: int | None
    decided_by: int | None
    reason_code: str | None
    decision_comment: str | None
    created_at: datetime
    submitted_at: datetime | None
    due_at: datetime | None
    decided_at: datetime | None
    allowed_actions: list[str]
    limits: LimitsPublic
    history: list[HistoryPublic]
    evidence: list[EvidencePublic]
    assessment: AssessmentPublic
    ledger: LedgerEffectPublic


class ViolationPublic(BaseModel):
    id: int
    shop_id: int
    order_id: int
    shipment_id: int
    profile: str
    rule_id: str
    state: str
    deadline: datetime
    detected_at: datetime
    explanation: str
    appeal_closes_at: datetime  # the breach (its deadline) plus the profile's appeal window
    appealable: bool
    appeal_window_closed: bool  # the penalty stands unappealed and the window has passed
    appeal_id: int | None
    appeal_state: str | None


class StatementDraft(BaseModel):
    statement: str
    max_chars: int


class ComplaintCreate(_In):
    order_id: DbId
    reason: str = Field(min_length=1, max_length=2000)


class ComplaintDecision(_In):
    uphold: bool
    task_kind: Literal["compensate", "reship", "refund"] | None = None
    comment: str = Field("", max_length=2000)


class TaskDone(_In):
    note: str = Field("", max_length=2000)


class ComplaintTaskPublic(BaseModel):
    kind: str
    state: str
    due_at: datetime
    escalated: bool
    escalated_at: datetime | None
    completed_at: datetime | None


class ComplaintPublic(BaseModel):
    id: int
    order_id: int
    shop_id: int
    state: str
    reason: str
    created_at: datetime
    task: ComplaintTaskPublic | None
