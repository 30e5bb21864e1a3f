"""The dossier's PDF summary, what a merchant uploads to the platform or prints for the carrier:
facts, 判定说明, statement, timeline, photos with capture time and hash, contact log, assessment,
and what was booked and what the decision recovered. In the exporter's language (Chinese by
default); every time in Asia/Shanghai; the font embedded (see pdf_font)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import KeepTogether, SimpleDocTemplate, Spacer, Table, TableStyle

from lanshou.adapters.db.models import (
    Appeal,
    AppealEvent,
    Communication,
    Evidence,
    LedgerEntry,
    Order,
    Violation,
)
from lanshou.appeals.explanation import Line
from lanshou.appeals.pdf_font import FONT
from lanshou.appeals.pdf_parts import (
    CELL_FONT,
    H1,
    H2,
    HASH,
    SMALL,
    facts_table,
    grouped_hash,
    p,
    table,
    thumbnail,
)
from lanshou.appeals.penalty import Penalty, points_text
from lanshou.appeals.wording import (
    ACTION_LABELS,
    EVIDENCE_KINDS,
    REASON_CODES,
    STATE_LABELS,
    VERDICT_LABELS,
    actor_name,
    due_label,
    event_reason,
    ledger_note,
    word,
)
from lanshou.domain.appeals.assessment import Assessment
from lanshou.i18n import N_, translate
from lanshou.i18n.format import capture_time, local_time, money
from lanshou.i18n.labels import label

SECONDS = "%Y-%m-%d %H:%M:%S"
WIDTH = 174 * mm - 12  # A4 less 18 mm margins, less the frame's 6 pt padding on each side


@dataclass(frozen=True)
class Summary:
    """Everything the PDF shows, read by dossier.py."""

    locale: str
    exported_at: datetime
    audit_head: str
    shop_name: str
    rule_label: str
    appeal: Appeal
    violation: Violation
    order: Order
    waybill_no: str | None
    carrier_name: str | None
    explanation: list[Line]
    history: list[AppealEvent]
    evidence: list[Evidence]
    photos: dict[int, bytes]  # evidence id → bytes, for the image files
    contacts: list[Communication]
    assessment: Assessment
    ledger: list[LedgerEntry]
    penalty: Penalty
    names: dict[int, str]  # user id → display name


def _head(s: Summary, *msgids: str) -> list[Any]:
    """A table's header row in the summary's language."""
    return [translate(s.locale, m) for m in msgids]


def _when(at: datetime | None) -> str:
    return local_time(at, SECONDS) if at is not None else "—"


def _facts(s: Summary) -> list[Any]:
    a, v, o = s.appeal, s.violation, s.order
    rnd = translate(s.locale, "Round %(n)s", n=a.round)
    channel = (
        translate(s.locale, "Customer service")
        if a.channel == "customer_service"
        else translate(s.locale, "Online")
    )
    rows: list[tuple[str, object]] = [
        (translate(s.locale, "Shop"), s.shop_name),
        (translate(s.locale, "Order"), o.external_id),
        (
            translate(s.locale, "Waybill"),
            " · ".join(x for x in (s.carrier_name, s.waybill_no) if x) or "—",
        ),
        (translate(s.locale, "Rule"), s.rule_label),
        (translate(s.locale, "Violation state"), label(s.locale, "violation_state", v.state)),
        (translate(s.locale, "Detected at"), _when(v.detected_at)),
        (translate(s.locale, "Appeal channel"), channel),
        (translate(s.locale, "Appeal state"), f"{word(s.locale, STATE_LABELS, a.state)} · {rnd}"),
        (translate(s.locale, "Submitted at"), _when(a.submitted_at)),
        (due_label(s.locale, a.state), _when(a.due_at)),
    ]
    return [p(translate(s.locale, "1. Facts"), H2), facts_table(rows, 38 * mm, WIDTH - 38 * mm)]


def _explanation(s: Summary) -> list[Any]:
    rows: list[tuple[str, object]] = [(line.label, line.text) for line in s.explanation]
    return [
        p(translate(s.locale, "2. Why it was judged a violation"), H2),
        facts_table(rows, 38 * mm, WIDTH - 38 * mm),
    ]


def _statement(s: Summary) -> list[Any]:
    return [
        p(translate(s.locale, "3. Statement"), H2),
        p(s.appeal.statement or translate(s.locale, "(none)")),
    ]


def _timeline(s: Summary) -> list[Any]:
    rows: list[list[Any]] = [_head(s, N_("Time"), N_("Action"), N_("State"), N_("By"), N_("Note"))]
    for ev in s.history:
        states = word(s.locale, STATE_LABELS, ev.to_state)
        if ev.from_state != ev.to_state:
            states = f"{word(s.locale, STATE_LABELS, ev.from_state)} → {states}"
        code = (ev.data or {}).get("reason_code")
        note = translate(s.locale, "; ").join(
            x
            for x in (
                word(s.locale, REASON_CODES, code) if code else "",
                event_reason(s.locale, ev.reason),
            )
            if x
        )
        rows.append(
            [
                _when(ev.at),
                word(s.locale, ACTION_LABELS, ev.event),
                states,
                actor_name(s.locale, ev.actor, ev.user_id, s.names),
                note,
            ]
        )
    widths = [33 * mm, 22 * mm, 44 * mm, 24 * mm, WIDTH - 123 * mm]
    return [p(translate(s.locale, "4. Timeline"), H2), table(rows, widths)]


def _photo_card(s: Summary, e: Evidence) -> list[Any]:
    md = e.metadata_ or {}
    captured = capture_time(str(md.get("captured_at") or ""))
    lines: list[Any] = []
    image = thumbnail(s.photos[e.id]) if e.id in s.photos else None
    if image is not None:
        lines.append(image)
    lines.append(p(f"#{e.id} {e.filename}", SMALL))
    lines.append(
        p(
            translate(s.locale, "Captured %(at)s (EXIF)", at=captured)
            if captured
            else translate(s.locale, "No capture time in the photo"),
            SMALL,
        )
    )
    lines.append(p(translate(s.locale, "Uploaded %(at)s", at=_when(e.uploaded_at)), SMALL))
    lines.append(p("SHA-256", SMALL))
    lines.append(p(grouped_hash(e.sha256), HASH))
    return lines


def _evidence(s: Summary) -> list[Any]:
    out: list[Any] = [p(translate(s.locale, "5. Evidence"), H2)]
    photos = [e for e in s.evidence if e.kind == "image"]
    others = [e for e in s.evidence if e.kind != "image"]
    if photos:
        cards = [_photo_card(s, e) for e in photos]
        rows = [cards[i : i + 3] for i in range(0, len(cards), 3)]
        rows[-1] += [[]] * (3 - len(rows[-1]))
        grid = Table(rows, colWidths=[WIDTH / 3] * 3, hAlign="LEFT")
        grid.setStyle(TableStyle([CELL_FONT, ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        out.append(grid)
    if others:
        head = _head(s, N_("No."), N_("File"), N_("Kind"), N_("Uploaded"))
        rows_: list[list[Any]] = [[*head, "SHA-256"]]
        for e in others:
            rows_.append(
                [
                    f"#{e.id}",
                    e.filename,
                    word(s.locale, EVIDENCE_KINDS, e.kind),
                    _when(e.uploaded_at),
                    p(grouped_hash(e.sha256, per_line=4), HASH),
                ]
            )
        out.append(Spacer(1, 3 * mm))
        # The kind column fits "System evidence" on one line: CJK wrapping, which the dossier
        # uses for Chinese text, would otherwise cut an English word anywhere.
        out.append(table(rows_, [12 * mm, 33 * mm, 31 * mm, 33 * mm, WIDTH - 109 * mm]))
    if not s.evidence:
        out.append(p(translate(s.locale, "No files uploaded.")))
    return out


def _contacts(s: Summary) -> list[Any]:
    out: list[Any] = [p(translate(s.locale, "6. Contact log"), H2)]
    if not s.contacts:
        return [*out, p(translate(s.locale, "No calls or reminders logged for this order yet."))]
    rows: list[list[Any]] = [
        _head(s, N_("Happened at"), N_("Counterpart"), N_("Channel"), N_("Summary"))
    ]
    for c in s.contacts:
        who = (
            translate(s.locale, "Merchant")
            if c.counterpart_kind == "merchant"
            else label(s.locale, "counterpart", c.counterpart_kind)
        )
        if c.counterpart_name:
            who += f" · {c.counterpart_name}"
        rows.append([_when(c.occurred_at), who, label(s.locale, "channel", c.channel), c.summary])
    return [*out, table(rows, [33 * mm, 34 * mm, 18 * mm, WIDTH - 85 * mm])]


def _assessment(s: Summary) -> list[Any]:
    verdict = word(s.locale, VERDICT_LABELS, s.assessment.verdict.value)
    out: list[Any] = [
        p(translate(s.locale, "7. System assessment (for reference only)"), H2),
        p(translate(s.locale, "Recommendation: %(verdict)s", verdict=verdict)),
    ]
    for i, r in enumerate(s.assessment.reasons, start=1):
        out.append(p(f"{i}. {r.text_en if s.locale == 'en' else r.text_zh}"))
    return out


def _money_table(s: Summary) -> Table:
    pen = s.penalty
    rows: list[list[Any]] = [
        _head(s, N_("Item"), N_("Booked"), N_("Recovered by the decision"), N_("Still owed"))
    ]
    for k in pen.money:
        rows.append(
            [
                label(s.locale, "ledger_kind", k.kind),
                money(k.booked_fen),
                money(k.recovered_fen),
                money(k.net_fen),
            ]
        )
    rows.append(
        [
            translate(s.locale, "Money total"),
            money(pen.booked_fen),
            money(pen.recovered_fen),
            money(pen.net_fen),
        ]
    )
    if pen.points_booked:
        rows.append(
            [
                translate(s.locale, "Points (not money)"),
                translate(s.locale, "%(n)s points", n=points_text(pen.points_booked)),
                translate(s.locale, "%(n)s points", n=points_text(pen.points_restored)),
                translate(s.locale, "%(n)s points", n=points_text(pen.points_net)),
            ]
        )
    return table(rows, [46 * mm, 38 * mm, 52 * mm, WIDTH - 136 * mm])


def _ledger(s: Summary) -> Table:
    rows: list[list[Any]] = [
        _head(s, N_("No."), N_("Kind"), N_("Amount"), N_("Booked at"), N_("Note"))
    ]
    for e in s.ledger:
        amount = (
            translate(s.locale, "%(n)s points", n=points_text(e.points))
            if e.kind == "points" or (not e.amount_fen and e.points)
            else money(e.amount_fen)
        )
        rows.append(
            [
                f"#{e.id}",
                label(s.locale, "ledger_kind", e.kind),
                amount,
                _when(e.booked_at),
                ledger_note(s.locale, e, s.violation.rule_id, s.rule_label),
            ]
        )
    return table(rows, [14 * mm, 24 * mm, 24 * mm, 33 * mm, WIDTH - 95 * mm])


def _decision(s: Summary) -> list[Any]:
    a = s.appeal
    rows: list[tuple[str, object]] = [
        (translate(s.locale, "Outcome"), word(s.locale, STATE_LABELS, a.state)),
        (
            translate(s.locale, "Reason"),
            word(s.locale, REASON_CODES, a.reason_code) if a.reason_code else "—",
        ),
        (translate(s.locale, "Reviewer's comment"), a.decision_comment or "—"),
        (translate(s.locale, "Decided at"), _when(a.decided_at)),
    ]
    out: list[Any] = [
        p(translate(s.locale, "8. Decision and money"), H2),
        facts_table(rows, 38 * mm, WIDTH - 38 * mm),
    ]
    if s.penalty.empty and not s.ledger:
        return [*out, Spacer(1, 2 * mm), p(translate(s.locale, "Nothing booked."))]
    out += [Spacer(1, 3 * mm), KeepTogether([_money_table(s)]), Spacer(1, 3 * mm), _ledger(s)]
    return out


def _footer(s: Summary) -> Any:
    text = translate(s.locale, "Exported %(at)s · lanshou", at=_when(s.exported_at))

    def draw(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7.5)
        canvas.drawString(18 * mm, 9 * mm, text)
        canvas.drawRightString(
            A4[0] - 18 * mm, 9 * mm, translate(s.locale, "Page %(n)s", n=doc.page)
        )
        canvas.restoreState()

    return draw


def render_summary(s: Summary) -> bytes:
    out = io.BytesIO()
    title = translate(s.locale, "Appeal dossier (appeal #%(id)s)", id=s.appeal.id)
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=title,
        author="lanshou",
        invariant=True,  # same case, same bytes: no creation date or random id in the file
        # The canvas starts in our font: its default (Helvetica) would be listed, unembedded.
        initialFontName=FONT,
    )
    story: list[Any] = [p(title, H1)]
    for section in (
        _facts,
        _explanation,
        _statement,
        _timeline,
        _evidence,
        _contacts,
        _assessment,
        _decision,
    ):
        story += section(s)
    story += [
        Spacer(1, 6 * mm),
        KeepTogether(
            [p(translate(s.locale, "Audit chain head at export:"), SMALL), p(s.audit_head, HASH)]
        ),
    ]
    footer = _footer(s)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


__all__ = ["Summary", "render_summary"]
