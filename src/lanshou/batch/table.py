"""The plain-text report of `lanshou check`: the summary and the first violations only.

Only `limit` violations are fetched from DuckDB, however many there are.
"""

from __future__ import annotations

from lanshou.batch.result import CheckResult
from lanshou.batch.rule_sql import quote
from lanshou.i18n import N_, normalize_locale, translate

__all__ = ["render_table"]

_HEAD = (N_("order"), N_("rule"), N_("deadline"), N_("comp."), N_("fine"), N_("refund"))


def render_table(result: CheckResult, lang: str = "zh-CN", limit: int = 50) -> str:
    """The summary and the first `limit` violations, in zh-CN or en."""
    locale = normalize_locale(lang)

    def t(msgid: str, **params: object) -> str:
        return translate(locale, msgid, **params)

    lines = [
        t(
            "Profile: %(profile)s    Now: %(now)s",
            profile=result.profile,
            now=f"{result.now:%Y-%m-%d %H:%M %z}",
        ),
        t(
            "Shipments: %(shipments)s    Evaluated: %(evaluated)s    Open: %(open)s",
            shipments=result.shipments,
            evaluated=result.evaluated,
            open=result.open,
        ),
    ]
    zh = locale != "en"
    for rule_id, n in result.violation_counts.items():
        zh_label, en_label = result.rule_labels.get(rule_id, (rule_id, rule_id))
        lines.append(f"  {zh_label if zh else en_label} ({rule_id}): {n}")
    lines.append(
        t(
            "Compensation: %(compensation)s    Fines: %(fines)s    Automatic refunds: %(refunds)s",
            compensation=f"{result.compensation_total:.2f}",
            fines=f"{result.fine_total:.2f}",
            refunds=f"{result.auto_refund_total:.2f}",
        )
    )
    if result.orphan_orders or result.orphan_items:
        lines.append(
            t(
                "Orders without items: %(orders)s    Items without order: %(items)s",
                orders=result.orphan_orders,
                items=result.orphan_items,
            )
        )
    if result.rejected:
        lines.append(t("Rejected rows: %(count)s", count=len(result.rejected)))
        lines.extend(f"  {r.file}:{r.row}: {r.reason}" for r in result.rejected[:limit])
    if result.violation_rows:
        lines.append("  ".join(f"{t(h):<20}" for h in _HEAD))
        rows = result.con.execute(
            result.violations_sql(
                f"v.order_id, v.rule, v.exempt, timezone({quote(result.tz.key)}, v.deadline),"
                " v.compensation, v.fine, v.auto_refund"
            )
            + f" LIMIT {int(limit)}"
        ).fetchall()
        for order_id, rule, exempt, deadline, compensation, fine, refund in rows:
            cells = (
                order_id[:20],
                rule + (" *" if exempt else ""),
                f"{deadline:%Y-%m-%d %H:%M}",
                f"{compensation:.2f}",
                f"{fine:.2f}",
                f"{refund:.2f}",
            )
            lines.append("  ".join(f"{c:<20}" for c in cells))
        if result.violation_rows > limit:
            lines.append(t("… %(count)s more", count=result.violation_rows - limit))
    return "\n".join(lines)
