"""The plain-text report of `lanshou check`: the summary and the first violations only.

Only `limit` violations are fetched from DuckDB, however many there are. Rules are named by
their label in the reader's language, and columns are aligned by what a terminal draws: a
Chinese character takes two columns (East Asian wide or full-width), a combining mark none.
"""

from __future__ import annotations

from collections.abc import Sequence

from lanshou.batch.result import CheckResult
from lanshou.batch.rule_sql import quote
from lanshou.i18n import N_, normalize_locale, translate
from lanshou.i18n.format import display_width, text_table

__all__ = ["display_width", "render_table"]

_HEAD = (N_("order"), N_("rule"), N_("deadline"), N_("comp."), N_("fine"), N_("refund"))
_RIGHT = (False, False, False, True, True, True)  # money is right-aligned
ORDER_WIDTH = 20  # an order number longer than this is cut, with "…"


def _cut(text: str, width: int) -> str:
    """`text` cut to at most `width` columns, ending in "…" when cut."""
    if display_width(text) <= width:
        return text
    out, used = "", 0
    for char in text:
        w = display_width(char)
        if used + w > width - 1:
            break
        out, used = out + char, used + w
    return out + "…"


def render_table(
    result: CheckResult, lang: str = "zh-CN", limit: int = 50, notes: Sequence[str] = ()
) -> str:
    """The summary, `notes` (the reader's warnings), and the first `limit` violations, in
    zh-CN or en."""
    locale = normalize_locale(lang)

    def t(msgid: str, **params: object) -> str:
        return translate(locale, msgid, **params)

    def rule_label(rule_id: str) -> str:
        zh_label, en_label = result.rule_labels.get(rule_id, (rule_id, rule_id))
        return en_label if locale == "en" else zh_label

    lines = [
        t(
            N_("Profile: %(profile)s    Now: %(now)s"),
            profile=result.profile,
            now=f"{result.now:%Y-%m-%d %H:%M %z}",
        ),
        t(
            N_("Shipments: %(shipments)s    Evaluated: %(evaluated)s    Open: %(open)s"),
            shipments=result.shipments,
            evaluated=result.evaluated,
            open=result.open,
        ),
    ]
    counts = [(rule_label(rule_id), str(n)) for rule_id, n in result.violation_counts.items()]
    if counts:
        lines.extend(f"  {line}" for line in text_table(counts, (False, True)))
    lines.append(
        t(
            N_(
                "Compensation: %(compensation)s    Fines: %(fines)s    "
                "Automatic refunds: %(refunds)s"
            ),
            compensation=f"{result.compensation_total:.2f}",
            fines=f"{result.fine_total:.2f}",
            refunds=f"{result.auto_refund_total:.2f}",
        )
    )
    if result.orphan_orders or result.orphan_items:
        lines.append(
            t(
                N_("Orders without items: %(orders)s    Items without order: %(items)s"),
                orders=result.orphan_orders,
                items=result.orphan_items,
            )
        )
    lines.extend(notes)
    if result.rejected:
        lines.append(t(N_("Rejected rows: %(count)s"), count=len(result.rejected)))
        lines.extend(f"  {r.located(locale)}" for r in result.rejected[:limit])
    if result.violation_rows:
        rows = result.con.execute(
            result.violations_sql(
                f"v.order_id, v.rule, v.exempt, timezone({quote(result.tz.key)}, v.deadline),"
                " v.compensation, v.fine, v.auto_refund"
            )
            + f" LIMIT {int(limit)}"
        ).fetchall()
        cells = [tuple(t(h) for h in _HEAD)]
        for order_id, rule, exempt, deadline, compensation, fine, refund in rows:
            cells.append(
                (
                    _cut(order_id, ORDER_WIDTH),
                    rule_label(rule) + (" *" if exempt else ""),
                    f"{deadline:%Y-%m-%d %H:%M}",
                    f"{compensation:.2f}",
                    f"{fine:.2f}",
                    f"{refund:.2f}",
                )
            )
        lines.extend(text_table(cells, _RIGHT))
        if any(exempt for _, _, exempt, *_ in rows):
            lines.append(t(N_("* exempt: nothing is due")))
        if result.violation_rows > limit:
            lines.append(t(N_("… %(count)s more"), count=result.violation_rows - limit))
    return "\n".join(lines)
