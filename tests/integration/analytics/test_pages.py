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
from sqlalchemy.orm import Session, sessionmaker

from lanshou.domain.roles import Role
from lanshou.entrypoints.app import create_app
from lanshou.identity.auth import create_user
from tests.integration.analytics.world import build
from tests.integration.web.world import NOW, PASSWORD, _fast_password_hashing, login, make_runtime

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


def test_reviewers_see_no_analytics_and_only_admins_run_what_if(client: TestClient) -> None:
    login(client, "reviewer")
    assert client.get("/analytics/losses").status_code == 403
    client.cookies.clear()
    login(client, "merchant")
    assert client.get("/analytics/whatif").status_code == 403
    assert "/analytics/whatif" not in client.get("/analytics/losses").text


def test_an_admin_runs_a_what_if_on_the_page(client: TestClient) -> None:
    login(client, "admin")
    page = client.get("/analytics/whatif?profile=douyin&set=pickup_timeout.hours%3D12")
    assert page.status_code == 200
    rows = _table(page.text, "table-whatif")
    assert [r[1:4] for r in rows] == [["2", "5", "+3"], ["2", "3", "+1"]]
    bad = client.get("/analytics/whatif?set=pickup_timeout.colour%3D1")
    assert bad.status_code == 422
    exported = client.get("/analytics/whatif?set=pickup_timeout.hours%3D12&format=csv")
    assert exported.content.decode("utf-8-sig").splitlines()[1].startswith("a,甜橙小铺,2,5,3")


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
