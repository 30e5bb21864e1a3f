"""Draft a Chinese appeal statement (申诉理由) from the facts, within the profile's limit.

Sentences are added in order of weight; one that does not fit is skipped rather than cut, so the
draft never ends mid-sentence unless even the first sentence is too long.
"""

from __future__ import annotations

from lanshou.domain.appeals.facts import CaseFacts

__all__ = ["draft_statement"]


def _sentences(f: CaseFacts, evidence_count: int) -> list[str]:
    rule = f.rule_label_zh
    head = (
        f"订单{f.order_external_id}被判{rule}，申请撤销处罚。"
        if f.order_external_id
        else (f"本单被判{rule}，申请撤销处罚。")
    )
    out = [head]
    if f.first_pickup_at is not None and f.first_pickup_at <= f.deadline:
        out.append(
            f"物流记录显示已于{f.local(f.first_pickup_at)}揽收，早于截止时间"
            f"{f.local(f.deadline)}，判罚有误。"
        )
    if f.exemption_reason:
        out.append(f"该时段属平台豁免范围：{f.exemption_reason}。")
    if f.shipped_at is not None:
        carrier = f.carrier_name or "快递"
        waybill = f"，运单号{f.waybill_no}" if f.waybill_no else ""
        out.append(f"我方已于{f.local(f.shipped_at)}按时发货（{carrier}{waybill}）。")
    chased = f.contacts_before_deadline()
    if chased:
        first = chased[0]
        out.append(
            f"截止前曾{len(chased)}次联系快递方催促揽收（首次{f.local(first.occurred_at)}），"
            "快递员仍未上门，非我方责任。"
        )
    if evidence_count:
        out.append(f"附证明材料{evidence_count}份，请核实。")
    return out


def draft_statement(facts: CaseFacts, evidence_count: int, max_chars: int) -> str:
    """A statement of at most ``max_chars`` characters built from the case's facts."""
    text = ""
    for sentence in _sentences(facts, evidence_count):
        if len(text) + len(sentence) <= max_chars:
            text += sentence
    if not text:
        first = _sentences(facts, evidence_count)[0]
        text = first[: max(0, max_chars - 1)] + "…" if max_chars > 0 else ""
    return text
