"""The 损失与风险, 快递管理 and 假设分析 pages: scope, roles, and exports equal to the tables."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from decimal import Decimal
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.models import Violation
from lanshou.domain.roles import Role
from lanshou.entrypoints.app import create_app
from lanshou.identity.auth import create_user
from tests.integration.analytics.world import build
from tests.integration.web.world import (
    NOW,
    PASSWORD,
    _fast_password_hashing,
    csrf_of,
    login,
    make_runtime,
)

__all__ = ["_fast_password_hashing"]
CELLS = re.compile(r"<td[^>]*>(.*?)</td>", re.S)


@pytest.fixture
def client(sessions: sessionmaker[Session]) -> Iterator[TestClient]:
    build(sessions)
    with sessions() as s:
        for name, role, shops in (
            ("merchant", Role.MERCHANT_OWNER, [1]),
            ("reviewer", Role.REVIEWER, []),
            ("admin", Role.ADMIN, []),
        ):
            create_user(s, name, PASSWORD, role, name.title(), shops, NOW)
        s.commit()
    with TestClient(create_app(make_runtime(sessions))) as c:
        yield c


def _table(html: str, table_id: str) -> list[list[str]]:
    body = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0].split("<tbody>", 1)[1]
    return [
        [re.sub(r"<[^>]+>", "", c).strip() for c in CELLS.findall(row)]
        for row in body.split("</tr>")
        if "<td" in row
    ]


def test_a_merchant_sees_only_their_shop_and_exports_the_same_rows(client: TestClient) -> None:
    login(client, "merchant")
    page = client.get("/analytics/losses")
    assert page.status_code == 200
    assert "损失与风险" in page.text and 'class="chart"' in page.text
    rows = _table(page.text, "table-shops")
    assert [r[0] for r in rows] == ["甜橙小铺"]  # shop B is not theirs
    exported = list(
        csv.reader(
            io.StringIO(client.get("/analytics/losses?format=csv").content.decode("utf-8-sig"))
        )
    )
    assert exported[0] == ["shop", "compensation", "fines", "refunds", "recovered", "net_loss"]
    assert [[r[0], f"¥{Decimal(r[-1]):,.2f}"] for r in exported[1:]] == [
        [r[0], r[-1]] for r in rows
    ]
    assert exported[1] == ["甜橙小铺", "6.00", "20.00", "0.00", "0.00", "26.00"]
    xlsx = load_workbook(io.BytesIO(client.get("/analytics/losses?format=xlsx").content)).active
    got = list(xlsx.iter_rows(values_only=True))
    assert list(got[0]) == exported[0]
    assert [[r[0], *(Decimal(str(v)) for v in r[1:])] for r in got[1:]] == [
        [r[0], *(Decimal(v) for v in r[1:])] for r in exported[1:]
    ]


def test_the_carriers_page_lists_scorecards_and_recommendations(client: TestClient) -> None:
    login(client, "merchant")
    page = client.get("/analytics/carriers")
    assert page.status_code == 200
    rows = _table(page.text, "table-carrier")
    assert rows == [["顺丰", "15", "8.0", "26.0", "30.0", "13.3%", "0.0%", "0"]]
    exported = list(
        csv.reader(
            io.StringIO(
                client.get("/analytics/carriers?format=csv&table=carrier").content.decode(
                    "utf-8-sig"
                )
            )
        )
    )
    assert exported[1][:6] == ["顺丰", "顺丰", "15", "8.0", "26.0", "30.0"]
    assert "浙江" in page.text
    xlsx = client.get("/analytics/carriers?format=xlsx&table=recommendation")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_reviewers_see_no_analytics_and_only_owners_and_admins_run_what_if(
    client: TestClient,
) -> None:
    login(client, "reviewer")
    assert client.get("/analytics/losses").status_code == 403
    assert client.get("/analytics/whatif").status_code == 403
    client.cookies.clear()
    login(client, "merchant")
    assert client.get("/analytics/whatif").status_code == 200
    assert 'href="/analytics/whatif"' in client.get("/analytics/losses").text


def _net_loss(html: str) -> str:
    return html.split('<div class="stat-card stat-bad"><span>净损失</span><b>', 1)[1].split("<", 1)[
        0
    ]


def test_an_admin_runs_a_what_if_over_every_shop(client: TestClient) -> None:
    login(client, "admin")
    page = client.get("/analytics/whatif?kind=rule&rule=pickup_timeout&hours=12&days=30")
    assert page.status_code == 200
    rows = _table(page.text, "table-whatif")
    assert rows == [
        ["甜橙小铺", "2", "5", "+3", "¥26.00", "¥65.00", "+¥39.00"],
        ["山野茶舍", "2", "3", "+1", "¥26.00", "¥39.00", "+¥13.00"],
    ]
    assert _net_loss(client.get("/analytics/losses?days=30").text) == "¥52.00"
    assert "净损失（与损失页一致）：¥52.00。按此改动：¥104.00（+¥52.00）。" in page.text
    exported = client.get(
        "/analytics/whatif?kind=rule&rule=pickup_timeout&hours=12&days=30&format=csv"
    )
    assert exported.content.decode("utf-8-sig").splitlines()[1:] == [
        "甜橙小铺,2,5,3,26.00,65.00,39.00",
        "山野茶舍,2,3,1,26.00,39.00,13.00",
    ]


def test_a_what_if_that_saves_money_signs_counts_and_money_alike(client: TestClient) -> None:
    """Every delta on the page is written by one helper: the same '-' before a count and an
    amount, a '+' before a rise."""
    login(client, "admin")
    page = client.get("/analytics/whatif?kind=rule&rule=pickup_timeout&hours=96&days=30")
    assert page.status_code == 200
    assert _table(page.text, "table-whatif") == [
        ["甜橙小铺", "2", "0", "-2", "¥26.00", "¥0.00", "-¥26.00"],
        ["山野茶舍", "2", "0", "-2", "¥26.00", "¥0.00", "-¥26.00"],
    ]
    assert "净损失（与损失页一致）：¥52.00。按此改动：¥0.00（-¥52.00）。" in page.text
    assert "−" not in page.text


def _post(client: TestClient, page: str, url: str, data: dict[str, str]) -> Any:
    token = csrf_of(client.get(page).text)
    return client.post(url, data={"csrf_token": token, **data}, follow_redirects=False)


def test_the_owners_baseline_is_the_losses_page_after_an_appeal_reversal(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    with sessions() as s:
        first = (
            s.execute(select(Violation.id).where(Violation.shop_id == 1).order_by(Violation.id))
            .scalars()
            .first()
        )
    login(client, "merchant")
    filed = _post(
        client,
        f"/violations/{first}/appeal",
        f"/violations/{first}/appeal",
        {"statement": "快递员未按时上门揽收", "action": "submit"},
    )
    appeal = filed.headers["location"].rsplit("/", 1)[1]
    client.cookies.clear()
    login(client, "reviewer")
    _post(client, "/review", f"/review/{appeal}/claim", {})
    decided = _post(
        client,
        f"/review/{appeal}",
        f"/review/{appeal}/decision",
        {"outcome": "approved", "reason_code": "carrier_fault", "comment": "属实"},
    )
    assert decided.status_code == 303
    client.cookies.clear()
    login(client, "merchant")
    assert _net_loss(client.get("/analytics/losses?days=30").text) == "¥13.00"  # 26.00 − 13.00
    page = client.get("/analytics/whatif?kind=rule&rule=pickup_timeout&hours=12&days=30")
    # the reversed violation stays reversed: 1 → 4 violations, 13.00 → 52.00
    assert _table(page.text, "table-whatif") == [
        ["甜橙小铺", "1", "4", "+3", "¥13.00", "¥52.00", "+¥39.00"]
    ]
    assert "净损失（与损失页一致）：¥13.00。按此改动：¥52.00（+¥39.00）。" in page.text


def test_switching_carriers_replays_the_owners_parcels_with_the_other_carriers_pickups(
    client: TestClient,
) -> None:
    login(client, "merchant")
    page = client.get("/analytics/whatif?kind=carrier&carrier_from=SF&carrier_to=ZTO&days=30")
    assert page.status_code == 200, page.text
    # each of the 15 SF parcels gets one of ZTO's five 浙江 pickup times (12.5, 25, 40, 2, 3 h),
    # drawn per parcel with a fixed seed: 8 draw 25 or 40 h and miss the 24 h window
    assert _table(page.text, "table-whatif") == [
        ["甜橙小铺", "2", "8", "+6", "¥26.00", "¥104.00", "+¥78.00"]
    ]
    unknown = client.get("/analytics/whatif?kind=carrier&carrier_from=ZTO&carrier_to=SF&days=30")
    assert unknown.status_code == 200  # the owner's shop ships no ZTO parcels: nothing changes


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("kind=rule&rule=pickup_timeout&hours=abc", "小时数须大于 0 且不超过 720。"),
        ("kind=rule&rule=pickup_timeout&hours=0", "小时数须大于 0 且不超过 720。"),
        ("kind=rule&rule=pickup_timeout&hours=NaN", "小时数须大于 0 且不超过 720。"),
        ("kind=rule&rule=colour&hours=12", "请从列出的规则中选择一条。"),
        ("kind=carrier&carrier_from=SF", "请选择原快递公司和要换成的快递公司。"),
        ("kind=carrier&carrier_from=SF&carrier_to=SF", "请选择两家不同的快递公司。"),
        ("kind=guess", "请选择要试算的内容：规则时限或更换快递。"),
        ("kind=rule&rule=pickup_timeout&hours=12&days=45", "请选择近 7 天、30 天或 90 天。"),
    ],
)
def test_what_if_input_errors_are_plain_sentences(
    client: TestClient, query: str, message: str
) -> None:
    login(client, "merchant")
    page = client.get(f"/analytics/whatif?{query}")
    assert page.status_code == 422
    assert message in page.text
    assert "RULE.FIELD" not in page.text and "--set" not in page.text


def _chart(html: str, chart_id: str) -> dict[str, Any]:
    attribute = html.split(f'id="{chart_id}"', 1)[1].split('data-option="', 1)[1].split('"', 1)[0]
    return dict(json.loads(unescape(attribute)))


def _headers(html: str, table_id: str) -> list[str]:
    head = html.split(f'id="{table_id}"', 1)[1].split("</thead>", 1)[0]
    return [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<th[^>]*>(.*?)</th>", head)]


def test_the_timeout_trend_is_in_percent_like_the_scorecards(client: TestClient) -> None:
    login(client, "merchant")
    page = client.get("/analytics/carriers").text
    trend = _chart(page, "chart-trend")
    assert trend["yAxis"]["axisLabel"] == {"formatter": "{value}%"}
    assert [(s["name"], s["data"]) for s in trend["series"]] == [
        ("顺丰", [13.3])
    ]  # 2 of 15, one week
    assert 'id="chart-trend" data-value-suffix="%"' in page  # the tooltip's unit
    assert _table(page, "table-carrier")[0][5] == "13.3%"


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        (
            "zh_CN",
            ["半数包裹揽收用时（小时）", "90% 包裹揽收用时（小时）", "99% 包裹揽收用时（小时）"],
        ),
        (
            "en",
            ["Half picked up within (h)", "90% picked up within (h)", "99% picked up within (h)"],
        ),
    ],
)
def test_scorecard_columns_and_the_latency_chart_say_what_the_percentiles_mean(
    client: TestClient, locale: str, words: list[str]
) -> None:
    login(client, "merchant")
    client.cookies.set("lanshou_locale", locale)
    page = client.get("/analytics/carriers").text
    for table in ("table-carrier", "table-outlet", "table-courier"):
        assert _headers(page, table)[-6:-3] == words
    assert [s["name"] for s in _chart(page, "chart-latency")["series"]] == words
    note = {
        "zh_CN": "已揽收的包裹中，一半、90% 和 99% 在所示小时数内被揽收。",
        "en": "half, 90% and 99% of the picked-up shipments were picked up within the hours",
    }[locale]
    assert note in unescape(page)
