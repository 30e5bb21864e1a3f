"""The dossier's one-page-or-more Chinese summary, drawn with ReportLab's built-in CJK font
(STSong-Light, a CID font every PDF reader has), so no system font is needed."""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

_BODY = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=15, wordWrap="CJK")
_H1 = ParagraphStyle("h1", parent=_BODY, fontSize=16, leading=22, spaceAfter=6)
_H2 = ParagraphStyle("h2", parent=_BODY, fontSize=12, leading=18, spaceBefore=8, spaceAfter=4)
_SMALL = ParagraphStyle("small", parent=_BODY, fontSize=8.5, leading=12)

STATE_ZH = {
    "draft": "草稿",
    "submitted": "已提交",
    "under_review": "审核中",
    "need_info": "待补充材料",
    "approved": "申诉通过",
    "rejected": "申诉驳回",
    "reconsideration": "复议中",
    "rejected_final": "复议驳回（终审）",
    "withdrawn": "已撤回",
    "expired": "已过期",
}
KIND_ZH = {"compensation": "赔付", "fine": "罚款", "refund": "退款", "points": "扣分"}


def _p(text: object, style: ParagraphStyle = _BODY) -> Paragraph:
    return Paragraph(escape(str(text if text is not None else "—")).replace("\n", "<br/>"), style)


def _table(rows: list[list[Any]], widths: list[float]) -> Table:
    table = Table([[_p(c, _SMALL) for c in row] for row in rows], colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.92, 0.92, 0.92)),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def render_summary(d: dict[str, Any], rule_label_zh: str) -> bytes:
    """A PDF of the case: facts, timeline, statement, evidence, decision. The rule is named as
    its profile names it (``rule_label_zh``)."""
    a, v, o = d["appeal"], d["violation"], d["order"]
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"申诉资料 #{a['id']}",
        author="lanshou 揽收",
    )
    story: list[Any] = [_p(f"申诉资料汇总（申诉 #{a['id']}）", _H1)]
    facts = [
        ["项目", "内容"],
        ["店铺", d.get("shop_name") or a["shop_id"]],
        ["订单号", o.get("external_id")],
        ["违规类型", f"{rule_label_zh}（{v['rule_id']}）"],
        ["起算时间", v.get("started_at")],
        ["截止时间", v.get("deadline")],
        ["判定时间", v.get("detected_at")],
        ["违规状态", v.get("state")],
        ["申诉渠道", "在线申诉" if a["channel"] == "online" else "客服申诉"],
        ["当前状态", f"{STATE_ZH.get(a['state'], a['state'])}（第 {a['round']} 轮）"],
        ["审核时限", a.get("due_at")],
    ]
    story += [_p("一、基本事实", _H2), _table(facts, [35 * mm, 135 * mm])]
    story += [_p("二、申诉理由", _H2), _p(a.get("statement") or "（无）")]
    story += [
        _p("三、处理时间线", _H2),
        _table(
            [["时间", "操作", "状态", "操作人", "说明"]]
            + [
                [
                    h["at"],
                    h["event"],
                    f"{h['from_state'] or '—'} → {h['to_state']}",
                    h["actor"],
                    h["reason"],
                ]
                for h in d["history"]
            ],
            [38 * mm, 25 * mm, 45 * mm, 22 * mm, 40 * mm],
        ),
    ]
    story += [
        _p("四、证明材料", _H2),
        _table(
            [["编号", "文件名", "类型", "SHA-256"]]
            + [[e["id"], e["filename"], e["kind"], e["sha256"]] for e in d["evidence"]],
            [14 * mm, 48 * mm, 18 * mm, 90 * mm],
        ),
    ]
    contacts = d.get("contacts") or []
    story += [
        _p("五、沟通记录", _H2),
        _table(
            [["时间", "对象", "方式", "内容"]]
            + [
                [
                    c["occurred_at"],
                    f"{c['counterpart_kind']} {c['counterpart_name']}".strip(),
                    c["channel"],
                    c["summary"],
                ]
                for c in contacts
            ],
            [38 * mm, 30 * mm, 20 * mm, 82 * mm],
        )
        if contacts
        else _p("（无沟通记录）"),
    ]
    assessment = d.get("assessment") or {}
    story += [_p("六、系统评估（仅供参考）", _H2), _p(f"建议：{assessment.get('verdict', '—')}")]
    story += [
        _p(f"{i}. {r['text_zh']}") for i, r in enumerate(assessment.get("reasons", []), start=1)
    ]
    ledger = d.get("ledger") or {}
    story += [
        _p("七、处理结果", _H2),
        _p(
            f"结论：{STATE_ZH.get(a['state'], a['state'])}；"
            f"原因代码：{a.get('reason_code') or '—'}；"
            f"审核意见：{a.get('decision_comment') or '—'}；"
            f"决定时间：{a.get('decided_at') or '—'}"
        ),
        _p(
            "资金影响："
            + "，".join(
                f"{KIND_ZH.get(k, k)} {v / 100:.2f} 元"
                for k, v in ledger.get("net_fen", {}).items()
            )
            + f"；合计 {ledger.get('total_fen', 0) / 100:.2f} 元"
        ),
    ]
    story += [Spacer(1, 8 * mm), _p(f"导出时间 {d['exported_at']}，lanshou 揽收", _SMALL)]
    doc.build(story)
    return out.getvalue()
