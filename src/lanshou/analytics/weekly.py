"""The weekly report of one shop as a self-contained HTML page with inline SVG charts, in the
reader's language (zh_CN by default, English available) with money written as people write it."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from html import escape

from sqlalchemy import select
from sqlalchemy.orm import Session

from lanshou.adapters.db.models import Carrier, Platform, Shop
from lanshou.analytics.charts import horizontal_bars, stacked_bars
from lanshou.analytics.losses import loss_breakdowns
from lanshou.analytics.period import Period
from lanshou.analytics.report import build_report, resolve_shops
from lanshou.enforcement import RulesContext
from lanshou.i18n import N_, translate
from lanshou.i18n.format import yuan
from lanshou.i18n.labels import label
from lanshou.identity import Scope

# The daily chart's series: the ledger kinds a pickup timeout books.
SERIES = ("compensation", "fine", "refund")
CARDS = (
    ("compensation", N_("Compensation")),
    ("fines", N_("Fines")),
    ("refunds", N_("Automatic refunds")),
    ("recovered", N_("Recovered by appeal")),
    ("net_loss", N_("Net loss")),
)
_CSS = (
    "body{font-family:system-ui,'PingFang SC','Noto Sans CJK SC',sans-serif;margin:32px;"
    "color:#1f2933}h1{font-size:22px}table{border-collapse:collapse;margin:12px 0}"
    "td,th{border-bottom:1px solid #e4e7eb;padding:6px 12px;text-align:right}"
    "th:first-child,td:first-child{text-align:left}.cards{display:flex;gap:12px;"
    "flex-wrap:wrap}.card{border:1px solid #e4e7eb;border-radius:8px;padding:10px 16px}"
    ".card b{display:block;font-size:20px}"
)


def weekly_html(
    session: Session,
    scope: Scope,
    shop_code: str,
    period: Period,
    ctx: RulesContext,
    locale: str | None = None,
    *,
    now: datetime,
) -> str:
    """损失周报: money cards, daily loss by kind, timeout rate by carrier, carriers, appeals."""

    def t(msgid: str, **params: object) -> str:
        return escape(translate(locale, msgid, **params))

    shop = resolve_shops(session, scope, shop_code)[0]
    narrowed = Scope(frozenset({shop.id}))
    report = build_report(session, narrowed, period, ctx, now=now)
    days = loss_breakdowns(session, narrowed, period, ("day",), now=now)["day"]
    dates = [period.first + timedelta(days=i) for i in range((period.last - period.first).days + 1)]
    labels = [f"{day:%m-%d}" for day in dates]
    series = []
    for kind in SERIES:
        values = [getattr(days[d], kind) / 100 if d in days else 0.0 for d in dates]
        series.append((label(locale, "ledger_kind", kind), values))
    names = _carrier_names(session, locale)
    rates = [
        (names.get(c["carrier"], c["carrier"]), c["timeout_rate"] or 0.0)
        for c in report["by_carrier"]
    ]
    cards = "".join(
        f'<div class="card">{t(name)}<b>{yuan(Decimal(report[key]))}</b></div>'
        for key, name in CARDS
    )
    rows = "".join(
        f"<tr><td>{escape(names.get(c['carrier'], c['carrier']))}</td><td>{c['shipments']}</td>"
        f"<td>{_hours(c['pickup_p50_hours'])}</td><td>{_hours(c['pickup_p90_hours'])}</td>"
        f"<td>{_pct(c['timeout_rate'])}</td></tr>"
        for c in report["by_carrier"]
    )
    appeals = report["appeals"]
    profile = ctx.profile(_profile_of(session, shop))
    violations = translate(locale, ", ").join(
        f"{profile.rule_label(rule, locale or '')} {n}" for rule, n in report["violations"].items()
    )
    title = t("%(shop)s · weekly losses %(first)s – %(last)s", shop=shop.name,
              first=period.first.isoformat(), last=period.last.isoformat())  # fmt: skip
    lang = "en" if locale == "en" else "zh-CN"
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>{_CSS}</style></head><body>"
        f"<h1>{title}</h1>"
        f'<div class="cards">{cards}</div>'
        f"<h2>{t('Daily losses by kind')}</h2>{stacked_bars(labels, series)}"
        f"<h2>{t('Pickup timeout rate by carrier')}</h2>{horizontal_bars(rates)}"
        f"<h2>{t('Carrier performance')}</h2>"
        f"<table><tr><th>{t('Carrier')}</th><th>{t('Shipments')}</th>"
        f"<th>{t('Half picked up within (hours)')}</th>"
        f"<th>{t('Nine in ten picked up within (hours)')}</th><th>{t('Timeout rate')}</th></tr>"
        f"{rows}</table>"
        f"<h2>{t('Appeals')}</h2><p>"
        + t(
            "Appeals filed: %(filed)s, approved: %(approved)s, rejected: %(rejected)s, "
            "pending: %(pending)s.",
            **appeals,
        )
        + f"</p><p>{t('Violations: %(list)s', list=violations or '—')}</p>"
        f"<p style='color:#7b8794'>"
        f"{t('Net loss = compensation + fines + automatic refunds − recovered by appeal')}</p>"
        "</body></html>"
    )


def report_text(
    session: Session,
    scope: Scope,
    period: Period,
    ctx: RulesContext,
    shop_code: str | None = None,
    locale: str | None = None,
    *,
    now: datetime,
) -> list[str]:
    """`lanshou report` as lines a person reads, in ``locale``: the money as the weekly page's
    cards, the violations per rule, the appeals and each carrier's pickup times."""

    def t(msgid: str, **params: object) -> str:
        return translate(locale, msgid, **params)

    report = build_report(session, scope, period, ctx, shop_code, now=now)
    shops = resolve_shops(session, scope, shop_code)
    profiles = [ctx.profile(name) for name in sorted({_profile_of(session, s) for s in shops})]

    def rule_label(rule_id: str) -> str:
        for profile in profiles:
            found = profile.rule_label(rule_id, locale or "")
            if found != rule_id:
                return found
        return rule_id

    names = _carrier_names(session, locale)
    lines = [
        t(
            "%(first)s – %(last)s · shops: %(shops)s",
            first=period.first.isoformat(),
            last=period.last.isoformat(),
            shops=t(", ").join(report["shops"]) or "—",
        )
    ]
    lines.extend(
        "  " + t("%(label)s: %(text)s", label=t(name), text=yuan(Decimal(report[key])))
        for key, name in CARDS
    )
    violations = t(", ").join(f"{rule_label(r)} {n}" for r, n in report["violations"].items())
    lines.append("  " + t("Violations: %(list)s", list=violations or "—"))
    lines.append(
        "  "
        + t(
            "Appeals filed: %(filed)s, approved: %(approved)s, rejected: %(rejected)s, "
            "pending: %(pending)s.",
            **report["appeals"],
        )
    )
    lines.extend(
        "  "
        + t(
            "%(label)s: %(text)s",
            label=names.get(c["carrier"], c["carrier"]),
            text=t(
                "%(n)s shipments, half picked up within %(p50)s h, nine in ten within "
                "%(p90)s h, timeout rate %(rate)s",
                n=c["shipments"],
                p50=_hours(c["pickup_p50_hours"]),
                p90=_hours(c["pickup_p90_hours"]),
                rate=_pct(c["timeout_rate"]),
            ),
        )
        for c in report["by_carrier"]
    )
    return lines


def _carrier_names(session: Session, locale: str | None) -> dict[str, str]:
    """The report names carriers in Chinese; an English page writes them in English."""
    rows = session.execute(select(Carrier.name_zh, Carrier.name_in(locale)))
    return {zh: name for zh, name in rows}


def _profile_of(session: Session, shop: Shop) -> str:
    return str(
        session.execute(
            select(Platform.profile).where(Platform.id == shop.platform_id)
        ).scalar_one()
    )


def _hours(x: float | None) -> str:
    return "—" if x is None else f"{x}"


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.1%}"
