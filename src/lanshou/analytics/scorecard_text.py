"""`lanshou scorecard` as a table a person reads, in one language: the carriers page's columns
and numbers (hours with one decimal, rates as percentages like 13.3%, "—" where there is none)."""

from __future__ import annotations

from lanshou.analytics.period import Period
from lanshou.analytics.scorecards import Scorecard
from lanshou.i18n import N_, translate
from lanshou.i18n.format import text_table

TITLES = {
    "carrier": N_("Carrier scorecards"),
    "outlet": N_("Outlet scorecards"),
    "courier": N_("Courier scorecards"),
}
# The carriers page's words for p50/p90/p99 (its column heads).
PERCENTILES = (
    (N_("Half picked up within (h)"), 50),
    (N_("90% picked up within (h)"), 90),
    (N_("99% picked up within (h)"), 99),
)


def _hours(x: float | None) -> str:
    return "—" if x is None else f"{x:.1f}"


def _percent(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.1f}%"


def scorecard_text(
    cards: list[Scorecard], level: str, period: Period, locale: str | None
) -> list[str]:
    """The level's title and period, then one aligned row per scorecard under the page's
    column heads (the carrier column for outlets and couriers only)."""

    def t(msgid: str, **params: object) -> str:
        return translate(locale, msgid, **params)

    with_carrier = level != "carrier"
    head = [t(N_("Name"))] + ([t(N_("Carrier"))] if with_carrier else [])
    head += [t(N_("Shipments")), *(t(label) for label, _q in PERCENTILES)]
    head += [t(N_("Timeout rate")), t(N_("Approved on appeal")), t(N_("Feed stalls"))]
    rows = [head]
    for c in cards:
        row = [c.name] + ([c.carrier_name] if with_carrier else []) + [str(c.shipments)]
        row += [_hours(c.p(q)) for _label, q in PERCENTILES]
        row += [_percent(c.timeout_rate), _percent(c.appeal_share), str(c.feed_stalls)]
        rows.append(row)
    right = [False] * (1 + with_carrier) + [True] * (len(head) - 1 - with_carrier)
    period_line = t(
        N_("Shipments marked shipped between %(first)s and %(last)s."),
        first=period.first.isoformat(),
        last=period.last.isoformat(),
    )
    return [t(TITLES[level]), period_line, *text_table(rows, right)]
