"""整理申诉资料: the whole case as one zip (dossier.json, evidence files with hashes, the contact
log and a Chinese PDF summary)."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from lanshou.adapters.db.models import Appeal, Order, Shop, Violation
from lanshou.appeals.context import AppealsContext
from lanshou.appeals.evidence import list_evidence
from lanshou.appeals.facts import case_facts, contact_json, gather
from lanshou.appeals.history import history
from lanshou.appeals.views import ledger_effect
from lanshou.audit import current_head
from lanshou.domain.appeals.assessment import assess
from lanshou.errors import NotFound

_ZIP_TIME = (2026, 1, 1, 0, 0, 0)


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def _row(obj: Any, *names: str) -> dict[str, Any]:
    return {n: (_iso(v) if isinstance(v := getattr(obj, n), datetime) else v) for n in names}


def dossier_document(
    session: Session, actx: AppealsContext, appeal: Appeal, now: datetime
) -> dict[str, Any]:
    violation = session.get_one(Violation, appeal.violation_id)
    order = session.get_one(Order, violation.order_id)
    shop = session.get_one(Shop, appeal.shop_id)
    g = gather(session, actx, violation, now)
    evidence = list_evidence(session, appeal.id)
    effect = ledger_effect(g.ledger)
    result = assess(case_facts(g, actx, sum(1 for e in evidence if e.kind != "system")))
    return {
        "exported_at": now.isoformat(),
        # The audit chain's head at export: `lanshou audit verify --head dossier.json` later
        # shows whether records were cut or rewritten since.
        "audit_head": current_head(session, now).line,
        "shop_name": shop.name,
        "appeal": _row(
            appeal,
            "id",
            "violation_id",
            "shop_id",
            "round",
            "state",
            "channel",
            "venue",
            "statement",
            "created_by",
            "claimed_by",
            "decided_by",
            "reason_code",
            "decision_comment",
            "created_at",
            "submitted_at",
            "due_at",
            "decided_at",
        ),
        "violation": _row(
            violation,
            "id",
            "rule_id",
            "profile",
            "state",
            "started_at",
            "deadline",
            "satisfied_at",
            "detected_at",
            "explanation",
        ),
        "order": _row(
            order, "id", "external_id", "status", "paid_at", "amount_fen", "exp_ship_time"
        ),
        "history": [
            _row(
                h, "id", "round", "event", "from_state", "to_state", "actor", "at", "reason", "data"
            )
            for h in history(session, appeal.id)
        ],
        "evidence": [
            {
                **_row(
                    e,
                    "id",
                    "round",
                    "kind",
                    "filename",
                    "media_type",
                    "size_bytes",
                    "sha256",
                    "uploaded_by",
                    "uploaded_at",
                ),
                "metadata": e.metadata_,
                "path": f"evidence/{e.id}-{e.filename}",
            }
            for e in evidence
        ],
        "contacts": [contact_json(c) for c in g.contacts],
        "assessment": {
            "verdict": result.verdict.value,
            "reasons": [
                {
                    "code": r.code,
                    "leaning": r.leaning.value,
                    "text_zh": r.text_zh,
                    "text_en": r.text_en,
                }
                for r in result.reasons
            ],
        },
        "ledger": {
            "entries": [
                _row(e, "id", "kind", "amount_fen", "reverses_id", "booked_at", "memo")
                for e in effect.entries
            ],
            "net_fen": effect.net_fen,
            "total_fen": effect.total_fen,
        },
    }


def export_dossier(
    session: Session,
    appeal_id: int,
    actx: AppealsContext,
    now: datetime | None = None,
) -> bytes:
    """The case as a zip; the caller has already checked the tenant scope."""
    appeal = session.get(Appeal, appeal_id)
    if appeal is None:
        raise NotFound(f"appeal {appeal_id} not found")
    now = now or appeal.decided_at or appeal.submitted_at or appeal.created_at
    doc = dossier_document(session, actx, appeal, now)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:

        def add(name: str, data: bytes) -> None:
            zf.writestr(zipfile.ZipInfo(name, _ZIP_TIME), data, zipfile.ZIP_DEFLATED)

        sums = []
        for e in list_evidence(session, appeal.id):
            content = actx.storage.get(e.sha256)
            digest = hashlib.sha256(content).hexdigest()
            if digest != e.sha256:
                raise RuntimeError(f"evidence {e.id} does not match its SHA-256 in storage")
            add(f"evidence/{e.id}-{e.filename}", content)
            sums.append(f"{digest}  evidence/{e.id}-{e.filename}")
        add("dossier.json", json.dumps(doc, ensure_ascii=False, indent=2, default=str).encode())
        add("contact_log.json", json.dumps(doc["contacts"], ensure_ascii=False, indent=2).encode())
        add("SHA256SUMS", ("\n".join(sums) + "\n").encode())
        # Imported here: ReportLab adds ~0.15 s to every process start (each CLI command).
        from lanshou.appeals.pdf import render_summary

        violation = session.get_one(Violation, appeal.violation_id)
        label = actx.profile(violation).rule_label(violation.rule_id, "zh_CN")
        add("summary.pdf", render_summary(doc, label))
    return buffer.getvalue()
