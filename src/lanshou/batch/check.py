"""`lanshou check`: read files, evaluate in DuckDB, summarise violations and money.

The files are read by the importer's reader (a `ShipmentReader` the caller passes in, see
`lanshou.imports.shipments_table`), so `check` and `import orders` read every export alike.

Summary semantics: `shipments` = shipments formed from the files; `evaluated` = those whose
order status is judged; `violations` = per rule, late and not exempt; `open` = shipments with
a rule still unsatisfied whose deadline has not passed. The `violations` list holds every late
rule outcome, exempted ones included (flagged `exempt`, no money).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import duckdb

from lanshou.batch.engine import evaluate_batch
from lanshou.batch.inputs import CheckInputError, Rejected, ShipmentReader
from lanshou.domain.rules import Exemption, calendar_for
from lanshou.domain.rules.profile import Profile

__all__ = ["CheckInputError", "CheckResult", "Violation", "render_table", "run_check"]


@dataclass(frozen=True)
class Violation:
    order_id: str
    shipment_key: str
    shop_id: str
    rule: str
    started_at: dt.datetime | None
    deadline: dt.datetime
    satisfied_at: dt.datetime | None
    compensation: Decimal
    fine: Decimal
    exempt: bool
    auto_refund: Decimal = Decimal("0.00")


@dataclass
class CheckResult:
    profile: str
    now: dt.datetime
    shipments: int
    evaluated: int
    violation_counts: dict[str, int]
    open: int
    compensation_total: Decimal
    fine_total: Decimal
    violations: list[Violation]
    rejected: list[Rejected]
    auto_refund_total: Decimal = Decimal("0.00")
    orphan_orders: int = 0
    orphan_items: int = 0
    rule_labels: dict[str, tuple[str, str]] = field(default_factory=dict)

    def to_json_dict(self) -> dict[str, Any]:
        """The stable JSON shape of `lanshou check --json`."""

        def iso(t: dt.datetime | None) -> str | None:
            return t.isoformat() if t is not None else None

        return {
            "profile": self.profile,
            "now": self.now.isoformat(),
            "summary": {
                "shipments": self.shipments,
                "evaluated": self.evaluated,
                "violations": dict(self.violation_counts),
                "open": self.open,
                "compensation_total": f"{self.compensation_total:.2f}",
                "fine_total": f"{self.fine_total:.2f}",
                "auto_refund_total": f"{self.auto_refund_total:.2f}",
            },
            "violations": [
                {
                    "order_id": v.order_id,
                    "shipment_key": v.shipment_key,
                    "shop_id": v.shop_id,
                    "rule": v.rule,
                    "started_at": iso(v.started_at),
                    "deadline": iso(v.deadline),
                    "satisfied_at": iso(v.satisfied_at),
                    "compensation": f"{v.compensation:.2f}",
                    "fine": f"{v.fine:.2f}",
                    "auto_refund": f"{v.auto_refund:.2f}",
                    "exempt": v.exempt,
                }
                for v in self.violations
            ],
            "rejected": [{"file": r.file, "row": r.row, "reason": r.reason} for r in self.rejected],
        }


def run_check(
    profile: Profile,
    reader: ShipmentReader,
    now: dt.datetime,
    exemptions: Sequence[Exemption] = (),
) -> CheckResult:
    """Evaluate what `reader` reads against a profile; CheckInputError if nothing is readable."""
    tz = profile.tz
    con = duckdb.connect()
    try:
        read = reader(con, profile)
        row = con.execute(f"SELECT count(*) FROM {read.shipments}").fetchone()
        shipments = int(row[0]) if row else 0
        if shipments == 0:
            first = read.rejected[0] if read.rejected else None
            raise CheckInputError(
                "no valid shipment could be read"
                + (
                    f"; {len(read.rejected)} row(s) rejected, the first {first.file}:"
                    f"{first.row}: {first.reason}"
                    if first is not None
                    else ""
                )
            )
        res = evaluate_batch(con, read.shipments, profile, calendar_for(profile), exemptions, now)
        evaluated = res.aggregate("count(DISTINCT shipment_key)").fetchall()[0]
        open_row = con.execute(
            "SELECT count(DISTINCT shipment_key) FROM lanshou_result WHERE deadline IS NOT NULL"
            " AND satisfied_at IS NULL AND deadline >= ?",
            [now],
        ).fetchone()
        rows = con.execute(
            """SELECT order_id, shipment_key, shop_id, rule, started_at, deadline, satisfied_at,
                      compensation, fine, exempt, auto_refund
               FROM lanshou_result WHERE late ORDER BY deadline, shipment_key, rule"""
        ).fetchall()
    finally:
        con.close()

    def local(t: dt.datetime | None) -> dt.datetime | None:
        return t.astimezone(tz) if t is not None else None

    violations = [
        Violation(
            order_id=r[0],
            shipment_key=r[1],
            shop_id=r[2],
            rule=r[3],
            started_at=local(r[4]),
            deadline=r[5].astimezone(tz),
            satisfied_at=local(r[6]),
            compensation=r[7],
            fine=r[8],
            exempt=r[9],
            auto_refund=r[10],
        )
        for r in rows
    ]
    counts = {rule.id: 0 for rule in profile.rules}
    for v in violations:
        if not v.exempt:
            counts[v.rule] += 1
    return CheckResult(
        profile=profile.name,
        now=now.astimezone(tz),
        shipments=shipments,
        evaluated=int(evaluated[0]) if evaluated else 0,
        violation_counts=counts,
        open=int(open_row[0]) if open_row else 0,
        compensation_total=sum((v.compensation for v in violations), Decimal("0.00")),
        fine_total=sum((v.fine for v in violations), Decimal("0.00")),
        auto_refund_total=sum((v.auto_refund for v in violations), Decimal("0.00")),
        violations=violations,
        rejected=read.rejected,
        orphan_orders=read.orphan_orders,
        orphan_items=read.orphan_items,
        rule_labels={r.id: (r.label_zh, r.label_en) for r in profile.rules},
    )


def render_table(result: CheckResult, lang: str = "zh-CN", limit: int = 50) -> str:
    """A plain-text summary and the first `limit` violations, in zh-CN or en."""
    zh = lang.lower().startswith("zh")

    def t(zh_text: str, en_text: str) -> str:
        return zh_text if zh else en_text

    lines = [
        f"{t('规则', 'Profile')}: {result.profile}    "
        f"{t('评估时间', 'Now')}: {result.now:%Y-%m-%d %H:%M %z}",
        f"{t('包裹', 'Shipments')}: {result.shipments}    {t('已评估', 'Evaluated')}: "
        f"{result.evaluated}    {t('未到期', 'Open')}: {result.open}",
    ]
    for rule_id, n in result.violation_counts.items():
        zh_label, en_label = result.rule_labels.get(rule_id, (rule_id, rule_id))
        lines.append(f"  {t(zh_label, en_label)} ({rule_id}): {n}")
    lines.append(
        f"{t('赔付合计', 'Compensation')}: {result.compensation_total:.2f}    "
        f"{t('罚款合计', 'Fines')}: {result.fine_total:.2f}    "
        f"{t('自动退款合计', 'Automatic refunds')}: {result.auto_refund_total:.2f}"
    )
    if result.orphan_orders or result.orphan_items:
        lines.append(
            f"{t('无商品明细的订单', 'Orders without items')}: {result.orphan_orders}    "
            f"{t('无订单的商品', 'Items without order')}: {result.orphan_items}"
        )
    if result.rejected:
        lines.append(f"{t('无法读取的行', 'Rejected rows')}: {len(result.rejected)}")
        lines.extend(f"  {r.file}:{r.row}: {r.reason}" for r in result.rejected[:limit])
    if result.violations:
        head = (
            t("订单", "order"),
            t("规则", "rule"),
            t("截止", "deadline"),
            t("赔付", "comp."),
            t("罚款", "fine"),
            t("自动退款", "refund"),
        )
        lines.append("  ".join(f"{h:<20}" for h in head))
        for v in result.violations[:limit]:
            cells = (
                v.order_id[:20],
                v.rule + (" *" if v.exempt else ""),
                f"{v.deadline:%Y-%m-%d %H:%M}",
                f"{v.compensation:.2f}",
                f"{v.fine:.2f}",
                f"{v.auto_refund:.2f}",
            )
            lines.append("  ".join(f"{c:<20}" for c in cells))
        if len(result.violations) > limit:
            lines.append(
                t(
                    f"… 另有 {len(result.violations) - limit} 条",
                    f"… {len(result.violations) - limit} more",
                )
            )
    return "\n".join(lines)
