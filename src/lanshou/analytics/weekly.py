"""The weekly report of one shop as a self-contained HTML page with inline SVG charts."""

from __future__ import annotations

from datetime import timedelta
from html import escape

from sqlalchemy.orm import Session

from lanshou.analytics.charts import horizontal_bars, stacked_bars
from lanshou.analytics.losses import loss_breakdowns
from lanshou.analytics.period import Period
from lanshou.analytics.report import build_report, resolve_shops
from lanshou.enforcement import RulesContext
from lanshou.identity import Scope

KIND_ZH = (("compensation", "赔付"), ("fine", "罚款"), ("refund", "自动退款"))
_CSS = (
    "body{font-family:system-ui,'PingFang SC','Noto Sans CJK SC',sans-serif;margin:32px;"
    "color:#1f2933}h1{font-size:22px}table{border-collapse:collapse;margin:12px 0}"
    "td,th{border-bottom:1px solid #e4e7eb;padding:6px 12px;text-align:right}"
    "th:first-child,td:first-child{text-align:left}.cards{display:flex;gap:12px;"
    "flex-wrap:wrap}.card{border:1px solid #e4e7eb;border-radius:8px;padding:10px 16px}"
    ".card b{display:block;font-size:20px}"
)


def weekly_html(
    session: Session, scope: Scope, shop_code: str, period: Period, ctx: RulesContext
) -> str:
    """损失周报: money cards, daily loss by kind, timeout rate by carrier, the report JSON."""
    shop = resolve_shops(session, scope, shop_code)[0]
    narrowed = Scope(frozenset({shop.id}))
    report = build_report(session, narrowed, period, ctx)
    days = loss_breakdowns(session, narrowed, period, ("day",))["day"]
    labels, series = [], []
    day = period.first
    while day <= period.last:
        labels.append(f"{day:%m-%d}")
        day += timedelta(days=1)
    for kind, name in KIND_ZH:
        values = []
        day = period.first
        while day <= period.last:
            t = days.get(day)
            values.append(getattr(t, kind) / 100 if t else 0.0)
            day += timedelta(days=1)
        series.append((name, values))
    rates = [(c["carrier"], c["timeout_rate"] or 0.0) for c in report["by_carrier"]]
    cards = "".join(
        f'<div class="card">{name}<b>¥{report[key]}</b></div>'
        for key, name in (
            ("compensation", "赔付"),
            ("fines", "罚款"),
            ("refunds", "自动退款"),
            ("recovered", "申诉挽回"),
            ("net_loss", "净损失"),
        )
    )
    rows = "".join(
        f"<tr><td>{escape(c['carrier'])}</td><td>{c['shipments']}</td>"
        f"<td>{c['pickup_p50_hours'] if c['pickup_p50_hours'] is not None else '—'}</td>"
        f"<td>{c['pickup_p90_hours'] if c['pickup_p90_hours'] is not None else '—'}</td>"
        f"<td>{_pct(c['timeout_rate'])}</td></tr>"
        for c in report["by_carrier"]
    )
    appeals = report["appeals"]
    return (
        f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{escape(shop.name)} 损失周报</title><style>{_CSS}</style></head><body>"
        f"<h1>{escape(shop.name)} · 损失周报 {period.first} – {period.last}</h1>"
        f'<div class="cards">{cards}</div>'
        f"<h2>每日损失(按类型)</h2>{stacked_bars(labels, series)}"
        f"<h2>揽收超时率(按快递)</h2>{horizontal_bars(rates)}"
        f"<h2>快递表现</h2><table><tr><th>快递</th><th>包裹</th><th>揽收 p50(小时)</th>"
        f"<th>揽收 p90(小时)</th><th>超时率</th></tr>{rows}</table>"
        f"<h2>申诉</h2><p>已提交 {appeals['filed']} · 通过 {appeals['approved']} · "
        f"驳回 {appeals['rejected']} · 处理中 {appeals['pending']}</p>"
        f"<p>违规:{escape(', '.join(f'{k} {v}' for k, v in report['violations'].items()))}"
        "</p><p style='color:#7b8794'>净损失 = 赔付 + 罚款 + 自动退款 − 申诉挽回</p>"
        "</body></html>"
    )


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.1%}"
