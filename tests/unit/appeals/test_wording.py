"""What the system writes into a case's history, read back in words in both languages."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lanshou.appeals import actor_name, event_reason
from lanshou.i18n.format import money, yuan


@pytest.mark.parametrize(
    ("reason", "zh", "en"),
    [
        ("window passed unused", "期限内未处理，已过期", "The time allowed passed without action"),
        ("merchant task overdue", "商家处理任务已超期", "The merchant's task is overdue"),
        ("final rejection (复议驳回)", "复议驳回（终审）", "Rejected on reconsideration (final)"),
        ("appeal 12 approved", "申诉 #12 通过", "Appeal #12 approved"),
        ("照片无法证明时间", "照片无法证明时间", "照片无法证明时间"),  # a person's words stay
    ],
)
def test_system_reasons_are_words(reason: str, zh: str, en: str) -> None:
    assert (event_reason("zh_CN", reason), event_reason("en", reason)) == (zh, en)


def test_the_actor_is_a_name_or_the_system() -> None:
    names = {7: "王磊（审核员）"}
    assert actor_name("zh_CN", "reviewer", 7, names) == "王磊（审核员）"
    assert actor_name("zh_CN", "system", None, names) == "系统"
    assert actor_name("en", "system", None, names) == "System"
    assert actor_name("en", "staff", 9, names) == "staff"


def test_the_sign_comes_before_the_currency() -> None:
    assert (money(-300), money(300), money(0)) == ("-¥3.00", "¥3.00", "¥0.00")
    assert yuan(Decimal("-1344.8")) == "-¥1,344.80"
