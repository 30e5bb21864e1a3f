"""The words people read for an appeal's codes (states, actions, reason codes, verdicts) and for
its ledger notes, in the user's language: the web pages and the dossier PDF say the same."""

from __future__ import annotations

import re

from lanshou.adapters.db.models import LedgerEntry
from lanshou.i18n import N_, translate
from lanshou.i18n.labels import label

REASON_CODES = {
    "carrier_fault": N_("Carrier at fault"),
    "exemption_applies": N_("Exemption applies"),
    "data_error": N_("Data error"),
    "insufficient_evidence": N_("Insufficient evidence"),
    "evidence_not_credible": N_("Evidence not credible"),
    "shipped_late": N_("Shipped late"),
    "out_of_window": N_("Filed too late"),
    "need_more_info": N_("More information needed"),
}
STATE_LABELS = {
    "draft": N_("Draft"),
    "submitted": N_("Submitted"),
    "under_review": N_("Under review"),
    "need_info": N_("Information requested"),
    "approved": N_("Approved"),
    "rejected": N_("Rejected"),
    "reconsideration": N_("Reconsideration"),
    "rejected_final": N_("Rejected (final)"),
    "withdrawn": N_("Withdrawn"),
    "expired": N_("Expired"),
}
ACTION_LABELS = {
    "submit": N_("Submit"),
    "claim": N_("Claim"),
    "approve": N_("Approve"),
    "reject": N_("Reject"),
    "request_info": N_("Ask for information"),
    "reconsider": N_("Reconsider"),
    "withdraw": N_("Withdraw"),
    "expire": N_("Expire"),
    "create": N_("Created"),
    "add_evidence": N_("Evidence added"),
    "platform_arbitration": N_("Platform arbitration message"),  # platforms/push.py
}
VERDICT_LABELS = {
    "approve": N_("Approve"),
    "approve_leaning": N_("Leaning to approve"),
    "undecided": N_("Undecided"),
    "reject_leaning": N_("Leaning to reject"),
    "reject": N_("Reject"),
}
# An appeal's ``due_at`` is the deadline of whoever must act next, so what it is called depends
# on the state: the filer's time to submit a draft, to answer a question or to ask for
# reconsideration; otherwise the reviewer's deadline.
DUE_LABELS = {
    "draft": N_("Appeal window closes"),
    "need_info": N_("Answer due"),
    "rejected": N_("Reconsideration window closes"),
}
REVIEW_DUE = N_("Review due")


def due_label(locale: str | None, state: str) -> str:
    """What an appeal's ``due_at`` is the deadline of, in `state`."""
    return translate(locale, DUE_LABELS.get(state, REVIEW_DUE))


EVIDENCE_KINDS = {
    "image": N_("Photo"),
    "audio": N_("Recording"),
    "pdf": N_("PDF document"),
    "chat": N_("Chat record or document"),
    "system": N_("System evidence"),
}


# Reasons the system itself writes into a case's history (people write the others).
SYSTEM_REASONS = {
    "window passed unused": N_("The time allowed passed without action"),
    "merchant task overdue": N_("The merchant's task is overdue"),
    "final rejection (复议驳回)": N_("Rejected on reconsideration (final)"),
}


def event_reason(locale: str | None, reason: str) -> str:
    """A history entry's note: the system's own in words, a person's as they wrote it."""
    if m := _APPROVED.fullmatch(reason):
        return translate(locale, "Appeal #%(id)s approved", id=m.group(1))
    msgid = SYSTEM_REASONS.get(reason)
    return translate(locale, msgid) if msgid else reason


def actor_name(locale: str | None, actor: str, user_id: int | None, names: dict[int, str]) -> str:
    """Who acted: the person's display name when known, "System" for the system."""
    if user_id is not None and user_id in names:
        return names[user_id]
    return translate(locale, "System") if actor == "system" else actor


def word(locale: str | None, table: dict[str, str], code: str | None) -> str:
    """The translated word for a code of ``table``; an unknown code is shown as it is."""
    if code is None:
        return "—"
    msgid = table.get(code)
    return translate(locale, msgid) if msgid else code


# Memos the engine writes (``enforcement``/``review``): "<rule> <kind>", "appeal N approved …",
# each optionally prefixed "reversal: ". Read back into words; anything else is shown as it is.
_APPROVED = re.compile(r"appeal (\d+) approved")


def ledger_note(
    locale: str | None,
    entry: LedgerEntry,
    rule_id: str,
    rule_label: str,
    say_reversal: bool = True,
) -> str:
    """What a ledger entry is for, in words; ``say_reversal`` False where the page tags
    reversals itself."""
    memo = entry.memo or ""
    body = memo.removeprefix("reversal: ")
    if m := _APPROVED.match(body):
        text = translate(locale, "Appeal #%(id)s approved", id=m.group(1))
    elif body.split() == [rule_id, entry.kind]:
        text = f"{rule_label} · {label(locale, 'ledger_kind', entry.kind)}"
    else:
        text = body
    if entry.reverses_id is not None and say_reversal:
        return translate(locale, "Reversal of #%(id)s: %(why)s", id=entry.reverses_id, why=text)
    return text
