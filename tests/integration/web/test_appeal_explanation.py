"""判定说明 on the appeal form and the case page: labelled lines in the user's language, local
times, money formatted; the breach deadline and the review deadline never share a label."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from lanshou.adapters.db.models import Shipment, Violation
from lanshou.bootstrap import Runtime
from tests.integration.appeals.conftest import client, runtime, violation_id, world
from tests.integration.web.world import csrf_of, login

__all__ = ["client", "runtime", "violation_id", "world"]


def _lines(page: str) -> list[tuple[str, str, str]]:
    """(key, label, text) of each line of the page's explanation block."""
    block = page.split('<dl class="facts facts-compact explanation">')[1].split("</dl>")[0]
    return [
        (key, html.unescape(label), html.unescape(text))
        for key, label, text in re.findall(
            r'<div class="explanation-(\w+)"><dt>(.*?)</dt><dd>(.*?)</dd></div>', block
        )
    ]


def _labels(page: str) -> list[str]:
    return [html.unescape(x) for x in re.findall(r"<dt>(.*?)</dt>", page)]


def _english(client: TestClient, page: str) -> None:
    token = csrf_of(page)
    client.post("/language", data={"locale": "en", "csrf_token": token, "next": "/"})


def _file(client: TestClient, violation_id: int) -> str:
    """File and submit an appeal as the merchant; the case page's path."""
    login(client, "merchant")
    form = client.get(f"/violations/{violation_id}/appeal").text
    filed = client.post(
        f"/violations/{violation_id}/appeal",
        data={"csrf_token": csrf_of(form), "statement": "快递员未上门", "action": "submit"},
        follow_redirects=False,
    )
    return str(filed.headers["location"])


ZH_FORM = [
    ("start", "起算", "2026-11-02 12:00（自发货起算）"),
    ("deadline", "违规截止", "2026-11-03 12:00（起算后 24 个自然小时）"),
    ("done", "完成", "尚无首次揽收扫描"),
    ("verdict", "结论", "截止前未完成，截至 2026-11-04 12:00 已超时 1天0小时"),
    ("consequences", "后果", "已处罚：赔付 ¥3.00、罚款 ¥10.00"),
]
EN_FORM = [
    ("start", "Start", "2026-11-02 12:00 (from shipping)"),
    ("deadline", "Breach deadline", "2026-11-03 12:00 (24 hours after the start)"),
    ("done", "Completion", "First pickup scan: none yet"),
    ("verdict", "Verdict", "Not done by the deadline; 1d 0h overdue as of 2026-11-04 12:00"),
    ("consequences", "Consequences", "Booked: Compensation ¥3.00, Fine ¥10.00"),
]


def test_the_filing_form_explains_the_verdict_in_plain_lines(
    client: TestClient, violation_id: int
) -> None:
    login(client, "merchant")
    form = client.get(f"/violations/{violation_id}/appeal").text
    assert "<h2>判定说明</h2>" in form
    assert _lines(form) == ZH_FORM
    assert "揽收超时 24 h" not in form  # the engine's stored dump is not shown
    _english(client, form)
    form = client.get(f"/violations/{violation_id}/appeal").text
    assert "<h2>Explanation</h2>" in form
    assert _lines(form) == EN_FORM


def test_the_case_page_explains_and_labels_two_deadlines_apart(
    client: TestClient, violation_id: int
) -> None:
    location = _file(client, violation_id)
    case = client.get(location).text
    assert _lines(case) == ZH_FORM
    labels = _labels(case)
    assert "违规截止" in labels and "审核截止" in labels
    assert "截止" not in labels and "截止时间" not in labels
    assert '<pre class="why-lines">' not in case  # no bilingual engine dump on the case page
    _english(client, case)
    case = client.get(location).text
    assert _lines(case) == EN_FORM
    labels = _labels(case)
    assert "Breach deadline" in labels and "Review due" in labels
    assert "Due" not in labels and "Deadline" not in labels
    assert not re.search(r"[\u4e00-\u9fff]", "".join(text for _, _, text in _lines(case)))


def test_the_review_workbench_shows_the_same_explanation(
    client: TestClient, violation_id: int
) -> None:
    aid = _file(client, violation_id).rsplit("/", 1)[1]
    login(client, "reviewer")
    review = client.get(f"/review/{aid}").text
    assert "<h4>判定说明</h4>" in review
    assert _lines(review) == ZH_FORM
    assert "why-lines" not in review and "揽收超时 24 h" not in review
    _english(client, review)
    assert _lines(client.get(f"/review/{aid}").text) == EN_FORM


def _all_lines(page: str) -> list[list[tuple[str, str, str]]]:
    """Every explanation block of a page, each as (key, label, text) lines."""
    blocks = page.split('<dl class="facts facts-compact explanation">')[1:]
    return [_lines('<dl class="facts facts-compact explanation">' + b) for b in blocks]


def _order_of(runtime: Runtime, violation_id: int) -> int:
    with runtime.sessions() as session:
        return int(
            session.execute(
                select(Shipment.order_id)
                .join(Violation, Violation.shipment_id == Shipment.id)
                .where(Violation.id == violation_id)
            ).scalar_one()
        )


def test_the_order_page_explains_every_rule_in_the_same_lines(
    client: TestClient, runtime: Runtime, violation_id: int
) -> None:
    """The order's 判定说明 judges its facts again at the clock's now (order A000: paid 11-01
    10:00, shipped 12:00, never picked up; now 11-04 12:00): one block per rule, the rule's name
    first, what a breach costs only under a late verdict."""
    order_id = _order_of(runtime, violation_id)
    login(client, "merchant")
    page = client.get(f"/orders/{order_id}").text
    assert "why-lines" not in page and " 截止: " not in page  # no bilingual engine dump
    assert _all_lines(page) == [
        [
            ("rule", "规则", "发货超时"),
            ("start", "起算", "2026-11-01 10:00（自付款起算）"),
            ("deadline", "违规截止", "2026-11-03 10:00（平台给出的该订单截止时间）"),
            ("done", "完成", "已发货 2026-11-01 12:00"),
            ("verdict", "结论", "按时完成，比截止早 1天22小时"),
        ],
        [
            ("rule", "规则", "揽收超时"),
            ("start", "起算", "2026-11-01 12:00（自发货起算）"),
            ("deadline", "违规截止", "2026-11-02 12:00（起算后 24 个自然小时）"),
            ("done", "完成", "尚无首次揽收扫描"),
            ("verdict", "结论", "超时 2天0小时"),
            ("consequences", "后果", "赔付 ¥3.00、罚款 ¥10.00、0.1分"),
        ],
    ]
    _english(client, page)
    page = client.get(f"/orders/{order_id}").text
    assert _all_lines(page) == [
        [
            ("rule", "Rule", "Late shipment"),
            ("start", "Start", "2026-11-01 10:00 (from payment)"),
            (
                "deadline",
                "Breach deadline",
                "2026-11-03 10:00 (the platform's own deadline for this order)",
            ),
            ("done", "Completion", "Shipped 2026-11-01 12:00"),
            ("verdict", "Verdict", "On time, 1d 22h before the deadline"),
        ],
        [
            ("rule", "Rule", "Pickup timeout"),
            ("start", "Start", "2026-11-01 12:00 (from shipping)"),
            ("deadline", "Breach deadline", "2026-11-02 12:00 (24 hours after the start)"),
            ("done", "Completion", "First pickup scan: none yet"),
            ("verdict", "Verdict", "Late by 2d 0h"),
            ("consequences", "Consequences", "Compensation ¥3.00, Fine ¥10.00, 0.1 points"),
        ],
    ]


def _due_fact(page: str) -> tuple[str, str]:
    """The case page's facts line that follows the channel: the appeal's own deadline."""
    facts = page.split('<dl class="facts">')[1].split("</dl>")[0]
    pairs = re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", facts)
    label, value = pairs[5]
    return html.unescape(label), html.unescape(re.sub(r"<[^>]+>", "", value))


def test_a_draft_shows_when_the_appeal_window_closes_not_a_review_deadline(
    client: TestClient, violation_id: int
) -> None:
    """A draft's deadline is the filer's (7 days from the breach deadline 11-03 12:00), not the
    reviewer's: labelled 可申诉至 / Appeal window closes, never 审核截止."""
    login(client, "merchant")
    form = client.get(f"/violations/{violation_id}/appeal").text
    saved = client.post(
        f"/violations/{violation_id}/appeal",
        data={"csrf_token": csrf_of(form), "statement": "快递员未上门", "action": "save"},
        follow_redirects=False,
    )
    case = client.get(str(saved.headers["location"])).text
    assert _due_fact(case) == ("可申诉至", "2026-11-10 12:00 · 剩余 6天0小时")
    _english(client, case)
    case = client.get(str(saved.headers["location"])).text
    assert _due_fact(case)[0] == "Appeal window closes"
