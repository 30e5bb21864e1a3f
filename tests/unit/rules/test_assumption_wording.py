"""Each kind of assumed figure is worded per language: hours, working days, dates, money as ¥,
points, percentages with their limits; terminal tables align Chinese by the columns it takes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from lanshou.domain.rules.assumptions import Assumption, AssumptionKind
from lanshou.domain.rules.profile import Compensation, Duration, DurationUnit, Provenance, Tier
from lanshou.enforcement.assumptions import figure_text
from lanshou.i18n.format import display_width, text_table

SOURCE = Provenance(source="a guess", as_of=dt.date(2026, 1, 15), assumed=True)
TIERS = Compensation(
    base="amount",
    tiers=[
        Tier(below=Decimal("50"), fixed=Decimal("2")),
        Tier(percent=Decimal("2.5"), min=Decimal("1"), max=Decimal("30")),
    ],
    provenance=SOURCE,
)


def _item(kind: AssumptionKind, value: object, figure: str = "neutral") -> Assumption:
    return Assumption(kind, "r", figure, "a guess", value)


@pytest.mark.parametrize(
    ("kind", "value", "zh", "en"),
    [
        (AssumptionKind.RULE, Duration(hours=Decimal(48)), "48 小时", "48 h"),
        (
            AssumptionKind.RULE,
            Duration(hours=Decimal("7.5"), unit=DurationUnit.WORKING_HOURS),
            "7.5 个工作小时",
            "7.5 working hours",
        ),
        (
            AssumptionKind.RULE,
            Duration(hours=Decimal(2), unit=DurationUnit.WORKING_DAYS),
            "2 个工作日",
            "2 working days",
        ),
        (
            AssumptionKind.OVERRIDE,
            (dt.date(2026, 2, 14), dt.date(2026, 2, 22)),
            "2026-02-14 至 2026-02-22",
            "2026-02-14 to 2026-02-22",
        ),
        (
            AssumptionKind.COMPENSATION,
            TIERS,
            "< ¥50.00：¥2.00；2.5%（最少 ¥1.00、最多 ¥30.00）",
            "< ¥50.00: ¥2.00; 2.5% (at least ¥1.00, at most ¥30.00)",
        ),
        (AssumptionKind.FINE, Decimal("1000.00"), "¥1,000.00", "¥1,000.00"),
        (AssumptionKind.POINTS, Decimal("0.10"), "0.1分", "0.1 points"),
        (AssumptionKind.AUTO_REFUND, Decimal("72"), "72 小时", "72 h"),
        (AssumptionKind.APPEAL, 7, "7 天", "7 days"),
    ],
)
def test_each_figure_reads_in_both_languages(
    kind: AssumptionKind, value: object, zh: str, en: str
) -> None:
    item = _item(kind, value)
    assert (figure_text(item, "zh_CN"), figure_text(item, "en")) == (zh, en)


def test_a_name_or_a_figure_without_its_data_keeps_its_neutral_text() -> None:
    assert figure_text(_item(AssumptionKind.REGION, "xinjiang", "xinjiang"), "en") == "xinjiang"
    assert figure_text(_item(AssumptionKind.FINE, None), "zh_CN") == "neutral"


def test_a_text_table_aligns_chinese_by_terminal_columns() -> None:
    assert display_width("顺丰 SF") == 7
    assert text_table([["名称", "n"], ["顺丰杭州网点", "15"], ["SF", "5"]], [False, True]) == [
        "名称           n",
        "顺丰杭州网点  15",
        "SF             5",
    ]
    assert text_table([], [False]) == []
