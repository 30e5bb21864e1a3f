"""The worker syncs each connected shop on its schedule, and waits as long after a failure."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.engine import unit_of_work
from lanshou.adapters.db.models import AuditEvent, Order, PlatformConnection, PlatformMessage
from lanshou.bootstrap import Runtime
from lanshou.clock import FixedClock
from lanshou.enforcement.rules_context import RulesContext
from lanshou.platforms.connections import connect_douyin
from lanshou.platforms.push import store_messages
from lanshou.platforms.secrets import SecretBox
from lanshou.platforms.sync import sync_due
from lanshou.settings import load_settings
from lanshou.worker import sync_platforms
from tests.integration.platforms.conftest import APP_KEY, APP_SECRET, DOUYIN_SHOP, T0, Connected

H = timedelta(hours=1)


def _runtime(sessions: sessionmaker[Session], connected: Connected) -> Runtime:
    settings = load_settings(env="test", secret_key="w" * 32)
    rt = Runtime(settings, sessions.kw["bind"], sessions, FixedClock(connected.clock.at))
    rt.platforms = connected.ctx  # type: ignore[misc]
    return rt


def _searches(connected: Connected) -> int:
    return sum(path == "/order/searchList" for path, _ in connected.gateway.requests)


def test_due_shops_are_synced_every_fifteen_minutes(
    sessions: sessionmaker[Session], connected: Connected
) -> None:
    connected.gateway.put_order("1", updated=T0 - H)
    sync_platforms(_runtime(sessions, connected))  # never synced: due
    assert _searches(connected) == 1
    with sessions() as s:
        conn = s.get(PlatformConnection, connected.connection_id)
        assert conn is not None
        assert (conn.last_sync_at, conn.sync_cursor) == (T0, T0)
    connected.clock.at = T0 + timedelta(minutes=14)
    sync_platforms(_runtime(sessions, connected))
    assert _searches(connected) == 1  # not due yet
    connected.clock.at = T0 + timedelta(minutes=15)
    sync_platforms(_runtime(sessions, connected))
    assert _searches(connected) == 2


def test_a_failing_shop_is_retried_after_the_same_interval(
    sessions: sessionmaker[Session], connected: Connected
) -> None:
    connected.gateway.refuse_next["/order/logisticsCompanyList"] = {
        "code": 50002,
        "msg": "业务处理失败",
        "sub_code": "isv.business-failed",
        "sub_msg": "x",
        "log_id": "L",
        "data": None,
    }
    sync_platforms(_runtime(sessions, connected))
    with sessions() as s:
        conn = s.get(PlatformConnection, connected.connection_id)
        assert conn is not None
        assert (conn.state, conn.last_sync_at) == ("failing", None)
    connected.clock.at = T0 + timedelta(minutes=5)
    sync_platforms(_runtime(sessions, connected))
    assert _searches(connected) == 0
    connected.clock.at = T0 + timedelta(minutes=15)
    sync_platforms(_runtime(sessions, connected))
    assert _searches(connected) == 1
    with sessions() as s:
        conn = s.get(PlatformConnection, connected.connection_id)
        assert conn is not None
        assert (conn.state, conn.last_error) == ("connected", None)


def test_a_pushed_message_stored_but_never_applied_is_applied_by_the_worker(
    sessions: sessionmaker[Session], connected: Connected
) -> None:
    connected.gateway.put_order("77", updated=T0)
    item = {"tag": "101", "msg_id": "lost-1", "data": '{"p_id": "77", "shop_id": 880001}'}
    with unit_of_work(sessions) as session:
        assert len(store_messages(session, APP_KEY, [item], T0)) == 1
    connected.clock.at = T0 + timedelta(minutes=1)  # its own apply may still be running
    sync_platforms(_runtime(sessions, connected))
    with sessions() as s:
        assert s.execute(select(PlatformMessage.outcome)).scalar_one() == "pending"
    connected.clock.at = T0 + timedelta(minutes=2)
    sync_platforms(_runtime(sessions, connected))
    with sessions() as s:
        assert s.execute(select(PlatformMessage.outcome)).scalar_one() == "applied"
        assert s.execute(select(Order.external_id)).scalars().all() == ["77"]


def test_a_shop_whose_secrets_do_not_open_fails_alone_with_what_to_do(
    sessions: sessionmaker[Session], connected: Connected
) -> None:
    """LANSHOU_SECRET_KEY changed since one shop was connected: that shop is marked failing
    with a message naming it (audited once), and the other shop is still synced."""
    with unit_of_work(sessions) as session:
        other = connect_douyin(
            session,
            connected.ctx,
            shop_code="yueming",
            app_key=APP_KEY,
            app_secret=APP_SECRET,
            douyin_shop_id=DOUYIN_SHOP,
            gateway="https://openapi-fxg.jinritemai.com",
            now=T0,
            actor="admin",
        )
        other_id = other.id
        broken = session.get_one(PlatformConnection, connected.connection_id)
        old_box = SecretBox("the-secret-key-before-it-was-changed-0123")
        broken.access_token_enc = old_box.seal("token-sealed-under-the-old-key")
    connected.gateway.requests.clear()
    connected.gateway.put_order("1", updated=T0 - H)
    expected = (
        f"shop tianchen (抖店 connection #{connected.connection_id}): its stored app secret or "
        "token does not decrypt with the current LANSHOU_SECRET_KEY (it was changed since the "
        "shop was connected); connect the shop again (lanshou platforms connect), or restore "
        "the previous LANSHOU_SECRET_KEY"
    )
    summaries = sync_due(sessions, connected.ctx, RulesContext(), T0)
    assert [(s.connection_id, s.shop_code, s.orders, s.error) for s in summaries] == [
        (connected.connection_id, "tianchen", 0, expected),
        (other_id, "yueming", 1, None),
    ]
    connected.clock.at = T0 + timedelta(minutes=15)  # retried on the failing interval
    sync_platforms(_runtime(sessions, connected))
    with sessions() as s:
        rows = s.execute(
            select(
                PlatformConnection.id, PlatformConnection.state, PlatformConnection.last_error
            ).order_by(PlatformConnection.id)
        ).all()
        assert [tuple(r) for r in rows] == [
            (connected.connection_id, "failing", expected),
            (other_id, "connected", None),
        ]
        audits = s.execute(
            select(
                AuditEvent.entity_id, AuditEvent.action, AuditEvent.actor, AuditEvent.reason
            ).where(AuditEvent.action == "platform_sync_refused")
        ).all()
    assert [tuple(a) for a in audits] == [  # the same failure again is not audited again
        (connected.connection_id, "platform_sync_refused", "platform-sync", expected)
    ]
    assert _searches(connected) == 2  # only the shop that opens: at T0, and 15 minutes on
