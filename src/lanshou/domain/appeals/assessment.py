"""A recommendation for every appeal, with the reasons drawn from the data. It never decides.

Priority: facts that prove the penalty wrong (a pickup scan in time, a covering exemption) give
``approve``; a documented chase of the carrier with no scan following leans to approve; a late
"mark shipped" leans to reject (a pickup appeal does not cure it); no evidence at all rejects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from lanshou.domain.appeals.facts import CaseFacts

__all__ = ["Assessment", "Reason", "Verdict", "assess"]


class Verdict(StrEnum):
    APPROVE = "approve"
    APPROVE_LEANING = "approve_leaning"
    UNDECIDED = "undecided"
    REJECT_LEANING = "reject_leaning"
    REJECT = "reject"


@dataclass(frozen=True)
class Reason:
    code: str
    leaning: Verdict
    text_zh: str
    text_en: str


@dataclass(frozen=True)
class Assessment:
    verdict: Verdict
    reasons: list[Reason] = field(default_factory=list)


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"


def _reasons(f: CaseFacts) -> list[Reason]:
    out: list[Reason] = []
    if f.first_pickup_at is not None and f.first_pickup_at <= f.deadline:
        out.append(
            Reason(
                "pickup_before_deadline",
                Verdict.APPROVE,
                f"揽收扫描 {f.local(f.first_pickup_at)} "
                f"早于截止时间 {f.local(f.deadline)}，系数据错误",
                f"A pickup scan at {f.local(f.first_pickup_at)} precedes the deadline "
                f"{f.local(f.deadline)}: a data error",
            )
        )
    if f.exemption_reason:
        out.append(
            Reason(
                "exemption_covers_window",
                Verdict.APPROVE,
                f"已批准的豁免覆盖该时段：{f.exemption_reason}",
                f"An approved exemption covers the window: {f.exemption_reason}",
            )
        )
    chased = f.contacts_before_deadline()
    no_scan = f.first_pickup_at is None or f.first_pickup_at > f.deadline
    if chased and no_scan:
        out.append(
            Reason(
                "carrier_contacted_no_scan",
                Verdict.APPROVE_LEANING,
                f"截止前已联系快递方 {len(chased)} 次，其后仍无揽收扫描，倾向快递责任",
                f"The carrier was contacted {_times(len(chased))} before the deadline and no "
                "scan followed: carrier fault likely",
            )
        )
    if (
        f.awaits_pickup
        and f.shipped_at is not None
        and f.ship_by is not None
        and f.shipped_at > f.ship_by
    ):
        out.append(
            Reason(
                "shipped_after_ship_by",
                Verdict.REJECT_LEANING,
                f"点击发货 {f.local(f.shipped_at)} 晚于最晚发货时间 {f.local(f.ship_by)}，"
                "揽收申诉无法补救",
                f"Marked shipped at {f.local(f.shipped_at)}, after the ship-by deadline "
                f"{f.local(f.ship_by)}; a pickup appeal does not cure that",
            )
        )
    if f.merchant_evidence == 0 and not f.contacts and not out:
        out.append(
            Reason(
                "no_evidence",
                Verdict.REJECT,
                "商家未提供任何证明材料或沟通记录",
                "The merchant gave no evidence and no contact log",
            )
        )
    return out


def assess(facts: CaseFacts) -> Assessment:
    """Recommend a decision from the facts; a reviewer still decides."""
    reasons = _reasons(facts)
    leanings = {r.leaning for r in reasons}
    if Verdict.APPROVE in leanings:
        verdict = Verdict.APPROVE
    elif Verdict.APPROVE_LEANING in leanings and Verdict.REJECT_LEANING in leanings:
        verdict = Verdict.UNDECIDED
    elif Verdict.APPROVE_LEANING in leanings:
        verdict = Verdict.APPROVE_LEANING
    elif Verdict.REJECT_LEANING in leanings:
        verdict = Verdict.REJECT_LEANING
    elif Verdict.REJECT in leanings:
        verdict = Verdict.REJECT
    else:
        verdict = Verdict.UNDECIDED
    return Assessment(verdict, reasons)
