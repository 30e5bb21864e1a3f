"""Every page renders under a fixed clock at every hour of a day and across date boundaries.

Each case seeds a small demo world at ``now`` plus two orders of the staff's shop shipped 50
hours before it and never picked up (so every world has violations to appeal, whatever the seed
drew), evaluates the rules, adds the demo's appeals and complaints in every state (checked),
refreshes the dashboards and files one appeal, as ``lanshou demo seed`` and a merchant would.
It then serves that world from an app whose clock stands at ``now``, logs in through the login
form and opens every GET page of the web router with the world's ids, expecting the status the
page authorization table (``tests/integration/web/test_page_authorization.py``) gives the role
in its own shop.

The 24 hours run as the admin, who may open all pages, in one language each (alternating); the
boundary dates run every demo role, each in the other language than its neighbour, the two
languages swapped from one date to the next.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.engine import session_factory, unit_of_work
from lanshou.adapters.db.models import (
    Carrier,
    Evidence,
    Order,
    Shipment,
    Shop,
    User,
    Violation,
)
from lanshou.analytics.aggregates import refresh_aggregates
from lanshou.appeals import AppealsContext, create_appeal, submit_appeal
from lanshou.bootstrap import Runtime
from lanshou.clock import FixedClock
from lanshou.demo import seed_demo
from lanshou.demo.cases import CASES, seed_demo_cases
from lanshou.demo.logins import DEMO_PASSWORD
from lanshou.enforcement.rules_context import RulesContext
from lanshou.enforcement.sweep import evaluate_all
from lanshou.entrypoints.app import create_app
from lanshou.entrypoints.web.router import build_web_router
from lanshou.identity.auth import authenticate
from lanshou.settings import Settings, load_settings
from tests.integration.demo.cases_check import assert_cases_at
from tests.integration.time.instants import (
    BEIJING,
    BOUNDARIES,
    HOURS,
    label,
    weekends_only_years_expected,
)
from tests.integration.web.test_page_authorization import PAGES, get_pages
from tests.integration.web.world import csrf_of

LATE_ORDERS = ("TIME-LATE-1", "TIME-LATE-2")
# The demo's users in the order of the authorization table's columns (owner, staff, cs,
# reviewer, admin); that table says which status each role gets on each page of its own shop.
ROLES = ("merchant", "staff", "cs", "reviewer", "admin")
STAFF_SHOP = "demo-dy-hemu"  # the one shop every demo merchant user belongs to
LANGUAGES = {"zh_CN": ('<html lang="zh-CN">', "退出登录"), "en": ('<html lang="en">', "Log out")}
# More URLs of a page, with query strings that put time into the request (dates, periods).
TIMED_QUERIES = {
    "/orders": ["?paid_from={today}&paid_to={today}"],
    "/at-risk": ["?sort=risk"],
    "/analytics/losses": ["?days=7", "?days=90"],
    "/analytics/carriers": ["?days=7", "?days=7&table=outlet"],
}
BINARY = {"/appeals/{appeal_id}/evidence/{evidence_id}", "/appeals/{appeal_id}/dossier"}
WEB_PAGES = list(get_pages(build_web_router()))


def urls(page: str) -> list[str]:
    """The page's URL template from the authorization table, and its timed variants."""
    return [PAGES[page].url, *(page + query for query in TIMED_QUERIES.get(page, []))]


@dataclass(frozen=True)
class DemoAt:
    runtime: Runtime
    ids: dict[str, object]


def _settings(var_dir: Path) -> Settings:
    return load_settings(env="test", secret_key="x" * 32, default_locale="zh_CN", var_dir=var_dir)


def demo_world_at(engine: Engine, now: datetime, var_dir: Path) -> DemoAt:
    """Seed, evaluate, refresh the dashboards and file one appeal, all at ``now``."""
    settings = _settings(var_dir)
    seed_demo(engine, now=now, orders=60, days=5, create_users=True, replace=True)
    sessions: sessionmaker[Session] = session_factory(engine)
    _add_late_pickups(sessions, now)
    evaluate_all(sessions, now, settings)
    with unit_of_work(sessions) as s:  # as `lanshou demo seed` does: its cases in every state
        assert seed_demo_cases(s, AppealsContext.from_settings(settings), now) == len(CASES)
    assert_cases_at(engine, now)
    with unit_of_work(sessions) as s:
        refresh_aggregates(s, now, ctx=RulesContext.from_settings(settings))
    with unit_of_work(sessions) as s:
        filed, unfiled = s.scalars(
            select(Violation)
            .join(Order, Order.id == Violation.order_id)
            .where(Order.external_id.in_(LATE_ORDERS))
            .order_by(Order.external_id)
        )
        actx = AppealsContext.from_settings(settings)
        merchant = authenticate(s, "merchant", DEMO_PASSWORD, now, None)
        appeal = create_appeal(s, actx, merchant, filed.id, "online", "快递员未按时上门揽收", now)
        submit_appeal(s, actx, merchant, appeal.id, now)
        evidence = s.scalars(select(Evidence.id).where(Evidence.appeal_id == appeal.id)).first()
        assert evidence is not None, "submitting attaches the system's evidence"
        ids = {
            "order_id": filed.order_id,
            "violation_free": unfiled.id,
            "appeal_draft": appeal.id,
            "appeal_submitted": appeal.id,
            "evidence_id": evidence,
            "shipment_id": filed.shipment_id,
            "waybill": s.get_one(Shipment, filed.shipment_id).waybill_no,
            "shop_id": filed.shop_id,
            "today": now.astimezone(BEIJING).date().isoformat(),
        }
    return DemoAt(Runtime(settings, engine, sessions, FixedClock(now)), ids)


def _add_late_pickups(sessions: sessionmaker[Session], now: datetime) -> None:
    with unit_of_work(sessions) as s:
        shop_id = s.scalars(select(Shop.id).where(Shop.code == STAFF_SHOP)).one()
        carrier_id = s.scalars(select(Carrier.id).order_by(Carrier.id)).first()
        for number in LATE_ORDERS:
            paid = now - timedelta(hours=52)
            order = Order(
                shop_id=shop_id,
                external_id=number,
                status="shipped",
                paid_at=paid,
                amount_fen=4990,
                quantity=1,
                created_at=paid,
                updated_at=paid,
            )
            s.add(order)
            s.flush()
            s.add(
                Shipment(
                    order_id=order.id,
                    key=number,
                    carrier_id=carrier_id,
                    waybill_no=f"TIME{number}",
                    shipped_at=now - timedelta(hours=50),
                    status="awaiting_pickup",
                    amount_fen=4990,
                    max_unit_price_fen=4990,
                )
            )


def _log_in(client: TestClient, username: str) -> None:
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login",
        data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def _set_language(engine: Engine, username: str, locale: str) -> None:
    """The user's saved language, as the language switch stores it; it wins over the cookie."""
    with unit_of_work(session_factory(engine)) as s:
        s.execute(update(User).where(User.username == username).values(locale=locale))


def assert_pages_render(world: DemoAt, client: TestClient, username: str, locale: str) -> None:
    _set_language(world.runtime.engine, username, locale)
    html_lang, logout = LANGUAGES[locale]
    client.cookies.clear()
    _log_in(client, username)
    for page in WEB_PAGES:
        expected = PAGES[page].own[ROLES.index(username)]
        for template in urls(page):
            url = template.format(**world.ids)
            response = client.get(url, follow_redirects=False)
            assert response.status_code == expected, (username, locale, url, response.text[:800])
            if expected != 200 or page in BINARY:
                continue
            assert html_lang in response.text and logout in response.text, (username, url)
            assert "error-page" not in response.text, (username, locale, url)


@pytest.mark.parametrize("now", HOURS, ids=[label(n) for n in HOURS])
def test_every_page_renders_at_every_hour_of_the_day(
    db_engine: Engine, now: datetime, tmp_path: Path
) -> None:
    world = demo_world_at(db_engine, now, tmp_path)
    with TestClient(create_app(world.runtime)) as client:
        assert_pages_render(world, client, "admin", "zh_CN" if now.hour % 2 == 0 else "en")


@pytest.mark.parametrize("index", range(len(BOUNDARIES)), ids=[label(n) for n in BOUNDARIES])
def test_every_role_sees_its_pages_across_date_boundaries(
    db_engine: Engine, index: int, tmp_path: Path
) -> None:
    with weekends_only_years_expected():  # 2027 and 2028: the calendar warns it guesses
        world = demo_world_at(db_engine, BOUNDARIES[index], tmp_path)
    with TestClient(create_app(world.runtime)) as client:
        for i, username in enumerate(ROLES):
            assert_pages_render(world, client, username, "zh_CN" if (i + index) % 2 == 0 else "en")
