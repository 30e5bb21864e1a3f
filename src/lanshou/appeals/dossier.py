"""整理申诉资料: the whole case as one zip (dossier.json, evidence files with hashes, the contact
log and a PDF summary in the exporter's language, Chinese by default)."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from lanshou.adapters.db.models import Appeal, Order, Shop, Violation
from lanshou.appeals.context import AppealsContext
from lanshou.appeals.evidence import list_evidence
from lanshou.appeals.explanation import explain_violation
from lanshou.appeals.facts import Gathered, case_facts, contact_json, gather
from lanshou.appeals.history import history
from lanshou.appeals.penalty import penalty_of
from lanshou.appeals.views import ledger_effect
from lanshou.appeals.worklists import user_names
from lanshou.audit import current_head
from lanshou.domain.appeals.assessment import assess
from lanshou.errors import NotFound
from lanshou.i18n import DEFAULT_LOCALE, normalize_locale

if TYPE_CHECKING:
    from lanshou.appeals.pdf import Summary

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
    penalty = penalty_of(g.ledger)
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
                {
                    **_row(e, "id", "kind", "amount_fen", "reverses_id", "booked_at", "memo"),
                    "points": str(e.points),
                }
                for e in effect.entries
            ],
            "net_fen": effect.net_fen,
            "total_fen": effect.total_fen,
            # Money (fen) and points apart: booked before the decision, recovered by it.
            "penalty": {
                "booked_fen": penalty.booked_fen,
                "recovered_fen": penalty.recovered_fen,
                "net_fen": penalty.net_fen,
                "points_booked": str(penalty.points_booked),
                "points_restored": str(penalty.points_restored),
            },
        },
    }


def _summary(
    session: Session,
    actx: AppealsContext,
    appeal: Appeal,
    g: Gathered,
    doc: dict[str, Any],
    now: datetime,
    locale: str,
    storage_get: Callable[[str], bytes],
) -> Summary:
    # Imported here: ReportLab adds ~0.15 s to every process start (each CLI command).
    from lanshou.appeals.pdf import Summary

    evidence = list_evidence(session, appeal.id)
    events = history(session, appeal.id)
    merchant_files = sum(1 for e in evidence if e.kind != "system")
    return Summary(
        locale=locale,
        exported_at=now,
        audit_head=doc["audit_head"],
        shop_name=doc["shop_name"],
        rule_label=actx.profile(g.violation).rule_label(g.violation.rule_id, locale),
        appeal=appeal,
        violation=g.violation,
        order=g.order,
        waybill_no=g.shipment.waybill_no,
        carrier_name=(
            (g.carrier.name_en if locale == "en" else g.carrier.name_zh) if g.carrier else None
        ),
        explanation=explain_violation(locale, actx, g, now, "%Y-%m-%d %H:%M:%S"),
        history=events,
        evidence=evidence,
        photos={e.id: storage_get(e.sha256) for e in evidence if e.kind == "image"},
        contacts=g.contacts,
        assessment=assess(case_facts(g, actx, merchant_files)),
        ledger=g.ledger,
        penalty=penalty_of(g.ledger),
        names=user_names(session, {e.user_id for e in events}),
    )


def export_dossier(
    session: Session,
    appeal_id: int,
    actx: AppealsContext,
    now: datetime | None = None,
    locale: str | None = None,
) -> bytes:
    """The case as a zip; the caller has already checked the tenant scope. The PDF summary is
    in ``locale`` (Chinese unless English is asked for)."""
    appeal = session.get(Appeal, appeal_id)
    if appeal is None:
        raise NotFound(f"appeal {appeal_id} not found")
    now = now or appeal.decided_at or appeal.submitted_at or appeal.created_at
    doc = dossier_document(session, actx, appeal, now)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:

        def add(name: str, data: bytes) -> None:
            zf.writestr(zipfile.ZipInfo(name, _ZIP_TIME), data, zipfile.ZIP_DEFLATED)

        store = actx.store(session)
        sums = []
        for e in list_evidence(session, appeal.id):
            # Piece by piece from the store into the zip, hashed on the way: the file is never
            # whole in memory here (the finished zip is).
            info = zipfile.ZipInfo(f"evidence/{e.id}-{e.filename}", _ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            hasher = hashlib.sha256()
            with zf.open(info, "w") as out:
                for piece in store.chunks(e.sha256):
                    hasher.update(piece)
                    out.write(piece)
            digest = hasher.hexdigest()
            if digest != e.sha256:
                raise RuntimeError(f"evidence {e.id} does not match its SHA-256 in storage")
            sums.append(f"{digest}  {info.filename}")
        add("dossier.json", json.dumps(doc, ensure_ascii=False, indent=2, default=str).encode())
        add("contact_log.json", json.dumps(doc["contacts"], ensure_ascii=False, indent=2).encode())
        add("SHA256SUMS", ("\n".join(sums) + "\n").encode())
        from lanshou.appeals.pdf import render_summary

        violation = session.get_one(Violation, appeal.violation_id)
        g = gather(session, actx, violation, now)
        lang = normalize_locale(locale) or DEFAULT_LOCALE
        summary = _summary(session, actx, appeal, g, doc, now, lang, store.get)
        add("summary.pdf", render_summary(summary))
    return buffer.getvalue()
