"""What the system writes into a case's history, read back in words in both languages."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lanshou.appeals import actor_name, due_label, event_reason
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


@pytest.mark.parametrize(
    ("state", "zh", "en"),
    [
        ("draft", "可申诉至", "Appeal window closes"),
        ("need_info", "补充材料期限", "Answer due"),
        ("rejected", "可申请复议至", "Reconsideration window closes"),
        ("submitted", "审核截止", "Review due"),
        ("reconsideration", "审核截止", "Review due"),
        ("approved", "审核截止", "Review due"),
    ],
)
def test_an_appeals_deadline_is_named_for_whoever_acts_next(state: str, zh: str, en: str) -> None:
    assert (due_label("zh_CN", state), due_label("en", state)) == (zh, en)
