"""The at-risk board: scope, order by time left, exact consequences, and logging a contact."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.models import Communication, Deadline, Shipment
from tests.integration.web.world import NOW, World, csrf_of, login

ROW = re.compile(r'<a class="mono" href="/orders/\d+">([AB]\d{3})</a>')


@pytest.fixture
def deadlines(sessions: sessionmaker[Session], world: World) -> dict[str, int]:
    """Besides A000 (pickup, 3 h 20 min left): A004 (shipping, 1 h, a ¥1,234 item),
    A008 (pickup, 30 min overdue), B000 in the other shop (10 min) and a met one on A012."""
    with sessions() as s:
        ids = {}
        for ext, rule, left, state in (
            ("A004", "ship_timeout", timedelta(hours=1), "pending"),
            ("A008", "pickup_timeout", -timedelta(minutes=30), "pending"),
            ("B000", "pickup_timeout", timedelta(minutes=10), "pending"),
            ("A012", "pickup_timeout", timedelta(minutes=5), "met"),
        ):
            shipment = s.execute(
                select(Shipment).where(Shipment.order_id == world.order_ids[ext])
            ).scalar_one()
            if ext == "A004":
                shipment.amount_fen = 123400
            s.add(
                Deadline(
                    shipment_id=shipment.id,
                    shop_id=1 if ext[0] == "A" else 2,
                    profile="douyin",
                    rule_id=rule,
                    started_at=NOW - timedelta(hours=20),
                    due_at=NOW + left,
                    state=state,
                    evaluated_at=NOW,
                )
            )
            ids[ext] = shipment.id
        ids["A000"] = s.execute(
            select(Shipment.id).where(Shipment.order_id == world.order_ids["A000"])
        ).scalar_one()
        s.commit()
    return ids


def _board(client: TestClient, path: str = "/at-risk") -> str:
    response = client.get(path)
    assert response.status_code == 200, response.text
    return response.text


def _row(page: str, ext: str) -> str:
    """The board's two table rows (facts and contact form) of one order."""
    [item] = [part for part in page.split('<tbody class="risk-item')[1:] if f">{ext}</a>" in part]
    return item.split("</tbody>")[0]


def _contacts(sessions: sessionmaker[Session]) -> int:
    with sessions() as s:
        return s.execute(select(func.count()).select_from(Communication)).scalar_one()


def test_a_merchants_board_shows_their_shops_deadlines_soonest_first(
    client: TestClient, deadlines: dict[str, int]
) -> None:
    login(client, "merchant")
    page = _board(client, "/at-risk")
    assert ROW.findall(page) == ["A008", "A004", "A000"]
    assert "山野茶舍" not in page and "B000" not in page
    assert "待揽收预警" in page and "共 3 个待处理时限" in page
    assert 'aria-current="page">待揽收预警</a>' in page


def test_platform_roles_see_every_shop_and_reviewers_have_no_board(
    client: TestClient, deadlines: dict[str, int]
) -> None:
    login(client, "admin")
    assert ROW.findall(_board(client)) == ["A008", "B000", "A004", "A000"]
    client.cookies.clear()
    login(client, "reviewer")
    assert client.get("/at-risk").status_code == 403
    assert 'href="/at-risk"' not in client.get("/").text


def test_each_row_has_the_rule_deadline_countdown_contacts_and_exact_consequences(
    client: TestClient, deadlines: dict[str, int]
) -> None:
    login(client, "merchant")
    page = _board(client)
    a000 = _row(page, "A000")
    assert "揽收超时" in a000 and "甜橙小铺" in a000 and "顺丰" in a000 and "WBA000" in a000
    assert "2026-11-04 15:20" in a000  # the deadline in Beijing time
    assert re.search(r'data-deadline="2026-11-04T(07:20:00\+00:00|15:20:00\+08:00)"', a000)
    assert 'class="countdown countdown-warn"' in a000 and ">03:20:00<" in a000
    assert "赔付 ¥3.00 + 罚款 ¥10.00" in a000
    assert "尚未联系" in a000
    assert 'value="已致电快递员催促揽收"' in a000
    a004 = _row(page, "A004")
    assert "发货超时" in a004 and "countdown-danger" in a004 and ">01:00:00<" in a004
    assert "赔付 ¥12.34 + 罚款 ¥10.00" in a004  # 1 % of a ¥1,234 unit price
    a008 = _row(page, "A008")
    assert "countdown-over" in a008 and ">已超时<" in a008


def test_the_board_speaks_english_with_english_rule_labels(
    client: TestClient, deadlines: dict[str, int]
) -> None:
    login(client, "merchant")
    client.post(
        "/language", data={"locale": "en", "next": "/", "csrf_token": csrf_of(client.get("/").text)}
    )
    a000 = _row(_board(client), "A000")
    assert "Pickup timeout" in a000 and "Compensation ¥3.00 + Fine ¥10.00" in a000
    assert 'value="Called the courier to urge pickup"' in a000


def _log(client: TestClient, shipment_id: int | str, **fields: str) -> httpx.Response:
    data = {
        "shipment_id": str(shipment_id),
        "counterpart_kind": "courier",
        "channel": "phone",
        "summary": "已致电快递员催促揽收",
        "name_courier": "王师傅",
        "next": "/",
        "csrf_token": csrf_of(client.get("/at-risk").text),
    }
    data.update(fields)
    return client.post("/at-risk/contacts", data=data, follow_redirects=False)


def test_logging_a_call_shows_on_the_board_and_the_order_page(
    client: TestClient, sessions: sessionmaker[Session], world: World, deadlines: dict[str, int]
) -> None:
    login(client, "merchant")
    response = _log(client, deadlines["A000"])
    assert response.status_code == 303
    assert response.headers["location"] == f"/#shipment-{deadlines['A000']}"
    assert "2026-11-04 12:00" in _row(_board(client), "A000")  # the clock's now, Beijing
    _log(
        client,
        deadlines["A000"],
        channel="reminder",
        counterpart_kind="outlet",
        name_outlet="杭州西湖网点",
        summary="已向网点发送揽收提醒",
    )
    order = client.get(f"/orders/{world.order_ids['A000']}").text
    log = order.split('id="contacts"')[1]
    assert log.index("已向网点发送揽收提醒") < log.index("已致电快递员催促揽收")  # newest first
    assert "快递员 · 王师傅" in log and "网点 · 杭州西湖网点" in log and "Merchant" in log
    with sessions() as s:
        entry = s.execute(select(Communication).order_by(Communication.id)).scalars().first()
        assert entry is not None
        assert (entry.shop_id, entry.order_id, entry.channel, entry.counterpart_name) == (
            1,
            world.order_ids["A000"],
            "phone",
            "王师傅",
        )


def test_logging_needs_the_csrf_token_and_changes_nothing_without_it(
    client: TestClient, sessions: sessionmaker[Session], deadlines: dict[str, int]
) -> None:
    login(client, "merchant")
    for token in ("", "x" * 43):
        response = _log(client, deadlines["A000"], csrf_token=token)
        assert response.status_code == 403
    assert _contacts(sessions) == 0


def test_an_unknown_channel_is_a_422_with_the_reason_and_nothing_logged(
    client: TestClient, sessions: sessionmaker[Session], deadlines: dict[str, int]
) -> None:
    login(client, "merchant")
    response = _log(client, deadlines["A000"], channel="carrier_pigeon")
    assert response.status_code == 422
    assert "未知的联系方式，请选择电话、微信、短信或提醒。" in response.text
    assert ROW.findall(response.text) == ["A008", "A004", "A000"]
    blank = _log(client, deadlines["A000"], summary="   ")
    assert blank.status_code == 422
    assert "摘要须为 1 至 2000 个字符。" in blank.text
    assert _log(client, "abc").status_code == 422
    assert _contacts(sessions) == 0


def test_another_shops_shipment_is_a_404_and_nothing_logged(
    client: TestClient, sessions: sessionmaker[Session], deadlines: dict[str, int]
) -> None:
    login(client, "merchant")
    response = _log(client, deadlines["B000"])
    assert response.status_code == 404
    assert "山野茶舍" not in response.text
    assert _log(client, 999999).status_code == 404
    assert _contacts(sessions) == 0


def test_breach_probabilities_come_from_the_workers_refresh(
    client: TestClient, sessions: sessionmaker[Session], deadlines: dict[str, int]
) -> None:
    from lanshou.analytics.aggregates import refresh_aggregates
    from lanshou.enforcement.rules_context import RulesContext

    login(client, "merchant")
    before = _board(client, "/at-risk?sort=risk")
    assert "超时概率将在下一次后台巡检后显示。" in before
    assert ROW.findall(before) == ["A008", "A004", "A000"]  # no probabilities: time left
    assert before.count('class="risk-prob nowrap"><span class="muted">—') == 3
    with sessions() as s:
        refresh_aggregates(s, NOW - timedelta(minutes=1), ctx=RulesContext())
        s.commit()
    page = _board(client, "/at-risk?sort=risk")
    assert "超时概率截至 2026-11-04 11:59" in page
    # overdue and certain: ¥13.00 expected; then A000; the shipping deadline has no probability
    assert ROW.findall(page) == ["A008", "A000", "A004"]
    assert re.search(
        r'class="risk-prob nowrap">100%<div class="muted small">≈ ¥13\.00', _row(page, "A008")
    )
    assert re.search(r'class="risk-prob nowrap">\d+%', _row(page, "A000"))
    assert 'class="risk-prob nowrap"><span class="muted">—' in _row(page, "A004")
    # by time left the same figures, the live countdown and the form stay as they were
    home = _board(client, "/at-risk")
    assert ROW.findall(home) == ["A008", "A004", "A000"]
    assert "超时概率截至 2026-11-04 11:59" in home
    a000 = _row(home, "A000")
    assert ">03:20:00<" in a000 and "赔付 ¥3.00 + 罚款 ¥10.00" in a000
    assert f'name="shipment_id" value="{deadlines["A000"]}"' in a000


def test_in_english_the_board_names_the_carrier_in_english(client: TestClient) -> None:
    login(client, "merchant")
    token = csrf_of(client.get("/at-risk").text)
    client.post("/language", data={"locale": "en", "next": "/at-risk", "csrf_token": token})
    a000 = _row(_board(client), "A000")
    assert "SF Express" in a000 and "顺丰" not in a000.split('name="name_carrier_cs"')[0]


@pytest.mark.parametrize(
    ("locale", "labels", "options"),
    [
        (
            "zh_CN",
            ('data-label="剩余时间"', 'data-label="快递公司 / 快递单号"', 'data-label="最近联系"'),
            ('<option value="outlet">网点</option>', '<option value="wechat">微信</option>'),
        ),
        (
            "en",
            ('data-label="Time left"', 'data-label="Carrier / Waybill no."'),
            ('<option value="outlet">Outlet</option>', '<option value="wechat">WeChat</option>'),
        ),
    ],
)
def test_every_row_carries_the_translated_labels_options_and_time_of_the_form(
    client: TestClient,
    deadlines: dict[str, int],
    locale: str,
    labels: tuple[str, ...],
    options: tuple[str, ...],
) -> None:
    """The labels and the form's options are translated once per page (not once per row):
    every row still carries them, in the reader's language, with the page's time."""
    login(client, "merchant")
    if locale == "en":
        token = csrf_of(client.get("/").text)
        client.post("/language", data={"locale": "en", "next": "/", "csrf_token": token})
    page = _board(client)
    for ext in ("A000", "A004", "A008"):
        row = _row(page, ext)
        for text in (*labels, *options):
            assert row.count(text) == 1, (ext, text)
        assert row.count('value="2026-11-04T12:00" max="2026-11-04T12:00"') == 1, ext
