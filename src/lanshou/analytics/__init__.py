"""Analytics: money lost and recovered, carrier scorecards, breach prediction and what-if.

Every query takes a :class:`~lanshou.orders.listing.Scope`, so tenants only see their shops.
"""

from lanshou.analytics import dashboard, whatif, whatif_form  # modules used as namespaces
from lanshou.analytics.aggregates import refresh_aggregates
from lanshou.analytics.at_risk import board, due_soon_count, log_contact
from lanshou.analytics.export import CSV_TYPE, XLSX_TYPE, to_csv, to_xlsx
from lanshou.analytics.period import Period, local_day
from lanshou.analytics.report import build_report
from lanshou.analytics.scorecard_text import scorecard_text
from lanshou.analytics.scorecards import LEVELS, pickup_samples, scorecards
from lanshou.analytics.weekly import report_text, weekly_html

__all__ = [
    "CSV_TYPE",
    "LEVELS",
    "XLSX_TYPE",
    "Period",
    "board",
    "build_report",
    "dashboard",
    "due_soon_count",
    "local_day",
    "log_contact",
    "pickup_samples",
    "refresh_aggregates",
    "report_text",
    "scorecard_text",
    "scorecards",
    "to_csv",
    "to_xlsx",
    "weekly_html",
    "whatif",
    "whatif_form",
]
