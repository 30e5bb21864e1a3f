"""The incremental 抖店 order sync against the fake gateway, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.models import (
    Carrier,
    Order,
    OrderItem,
    PlatformCarrierCode,
    PlatformConnection,
    Shipment,
)
from lanshou.platforms.sync import sync_connection
from tests.integration.platforms.conftest import (
    APP_SECRET,
    RULES,
    T0,
    Connected,
    make_ctx,
)

H = timedelta(hours=1)


def _orders(sessions: sessionmaker[Session]) -> dict[str, tuple[str, datetime | None]]:
    with sessions() as s:
        return {
            o.external_id: (o.status, o.exp_ship_time) for o in s.execute(select(Order)).scalars()
        }


def _shipments(sessions: sessionmaker[Session]) -> dict[str, tuple[str | None, str | None, str]]:
    with sessions() as s:
        rows = s.execute(
            select(Order.external_id, Shipment.waybill_no, Carrier.code, Shipment.status)
            .join(Shipment, Shipment.order_id == Order.id)
            .outerjoin(Carrier, Carrier.id == Shipment.carrier_id)
        ).all()
    return {ext: (waybill, carrier, status) for ext, waybill, carrier, status in rows}


def _conn(sessions: sessionmaker[Session], connection_id: int) -> PlatformConnection:
    with sessions() as s:
        conn = s.get(PlatformConnection, connection_id)
        assert conn is not None
        s.expunge(conn)
        return conn


def test_first_sync_maps_orders_parcels_and_deadlines(
    sessions: sessionmaker[Session], connected: Connected
) -> None:
    gw = connected.gateway
    gw.put_order("6901", updated=T0 - 3 * H, paid=T0 - 4 * H, exp_ship=T0 + 44 * H)
    gw.put_order(
        "6902",
        updated=T0 - 2 * H,
        status=3,
        exp_ship=T0 + 40 * H,
        parcel=("shunfeng", "sf1234567890", T0 - 2 * H),
    )
    gw.put_order("6903", updated=T0 - 2 * H, status=1)  # 待支付: not taken
    gw.put_order("6904", updated=T0 - H, status=3, parcel=("xiaoshan", "XS0001", T0 - H))
    gw.detail_only.add("6904")  # the list leaves its parcel out: orderDetail fills it in

    summary = sync_connection(
        sessions, connected.ctx, RULES, connected.connection_id, T0, since=T0 - 5 * H
    )

    assert summary.error is None
    assert (summary.pages, summary.orders, summary.inserted, summary.skipped_unpaid) == (1, 4, 3, 1)
    assert summary.details_fetched == 1
    assert summary.unknown_carriers == Counter({"小山快运": 1})
    assert _orders(sessions) == {
        "6901": ("paid", T0 + 44 * H),
        "6902": ("shipped", T0 + 40 * H),
        "6904": ("shipped", None),
    }
    assert _shipments(sessions) == {
        "6901": (None, None, "created"),
        "6902": ("SF1234567890", "SF", "awaiting_pickup"),
        "6904": ("XS0001", None, "awaiting_pickup"),
    }
    with sessions() as s:
        assert s.execute(
            select(OrderItem.sku, OrderItem.title, OrderItem.unit_price_fen).order_by(OrderItem.sku)
        ).all()[0] == ("6901-1", "保温杯 <大号> & 礼盒", 5990)
        codes = dict(
            s.execute(
                select(PlatformCarrierCode.code, Carrier.code).outerjoin(
                    Carrier, Carrier.id == PlatformCarrierCode.carrier_id
                )
            ).all()
        )
    assert codes == {"shunfeng": "SF", "zhongtong": "ZTO", "xiaoshan": None}
    assert [p for p, _ in gw.requests] == [
        "/order/logisticsCompanyList",
        "/order/searchList",
        "/order/orderDetail",
    ]
    assert gw.requests[1][1] == {
        "order_asc": True,
        "order_by": "update_time",
        "page": 0,
        "size": 100,
        "update_time_end": int(T0.timestamp()),
        "update_time_start": int((T0 - 5 * H).timestamp()),
    }
    conn = _conn(sessions, connected.connection_id)
    assert (conn.sync_cursor, conn.last_sync_at, conn.state, conn.last_error) == (
        T0,
        T0,
        "connected",
        None,
    )


def test_pages_are_read_until_the_total(
    sessions: sessionmaker[Session], connected: Connected
) -> None:
    for i in range(5):
        connected.gateway.put_order(f"70{i}", updated=T0 - H + timedelta(minutes=i))
    ctx = make_ctx(connected.gateway, connected.clock, page_size=2)
    summary = sync_connection(sessions, ctx, RULES, connected.connection_id, T0, since=T0 - 2 * H)
    assert (summary.pages, summary.orders, summary.inserted) == (3, 5, 5)
    pages = [p["page"] for path, p in connected.gateway.requests if path == "/order/searchList"]
    assert pages == [0, 1, 2]
    assert sorted(_orders(sessions)) == ["700", "701", "702", "703", "704"]


def test_the_overlap_neither_duplicates_nor_misses_orders(
    sessions: sessionmaker[Session], connected: Connected
) -> None:
    gw, clock = connected.gateway, connected.clock
    gw.put_order("A", updated=T0 - timedelta(minutes=5))
    first = sync_connection(
        sessions, connected.ctx, RULES, connected.connection_id, T0, since=T0 - H
    )
    assert (first.inserted, first.orders) == (1, 1)
    # Indexed late: updated a minute before the first run's end, visible only after it.
    gw.put_order("LATE", updated=T0 - timedelta(minutes=1))
    gw.put_order("B", updated=T0 + timedelta(minutes=30))  # between the runs
    t1 = T0 + H
    clock.at = t1
    gw.requests.clear()
    second = sync_connection(sessions, connected.ctx, RULES, connected.connection_id, t1)

    assert gw.requests[0][1]["update_time_start"] == int((T0 - timedelta(minutes=10)).timestamp())
    assert (second.orders, second.inserted, second.unchanged) == (3, 2, 1)
    assert sorted(_orders(sessions)) == ["A", "B", "LATE"]
    with sessions() as s:
        assert s.execute(select(func.count()).select_from(Order)).scalar_one() == 3
        assert s.execute(select(func.count()).select_from(Shipment)).scalar_one() == 3
    assert _conn(sessions, connected.connection_id).sync_cursor == t1


def test_a_refusal_half_way_keeps_the_cursor_and_names_the_platforms_code(
    sessions: sessionmaker[Session], connected: Connected
) -> None:
    gw = connected.gateway
    for i in range(3):
        gw.put_order(f"80{i}", updated=T0 - H + timedelta(minutes=i))
    ctx = make_ctx(gw, connected.clock, page_size=2)
    original = gw._search
    calls = []

    def refuse_second_page(params: dict) -> dict:  # type: ignore[type-arg]
        calls.append(params["page"])
        if params["page"] == 1:
            return {
                "code": 50002,
                "msg": "业务处理失败",
                "sub_code": "isv.business-failed:9",
                "sub_msg": "服务繁忙",
                "log_id": "L1",
                "data": None,
            }
        return original(params)

    gw._search = refuse_second_page  # type: ignore[method-assign]
    summary = sync_connection(sessions, ctx, RULES, connected.connection_id, T0, since=T0 - 2 * H)

    message = "order.searchList: 50002 业务处理失败 (isv.business-failed:9: 服务繁忙)"
    assert summary.error == message
    assert (summary.pages, summary.inserted) == (1, 2)
    conn = _conn(sessions, connected.connection_id)
    assert (conn.sync_cursor, conn.last_sync_at, conn.state, conn.last_error) == (
        None,
        None,
        "failing",
        message,
    )
    gw._search = original  # type: ignore[method-assign]
    again = sync_connection(sessions, ctx, RULES, connected.connection_id, T0, since=T0 - 2 * H)
    assert (again.error, again.inserted, again.unchanged) == (None, 1, 2)
    conn = _conn(sessions, connected.connection_id)
    assert (conn.sync_cursor, conn.state, conn.last_error) == (T0, "connected", None)


def test_throttling_and_an_expired_token_do_not_stop_a_run_and_the_new_token_is_stored(
    sessions: sessionmaker[Session], connected: Connected
) -> None:
    gw = connected.gateway
    gw.put_order("901", updated=T0 - H)
    gw.throttle_next = 2
    gw.expire_tokens()
    summary = sync_connection(
        sessions, connected.ctx, RULES, connected.connection_id, T0, since=T0 - 2 * H
    )
    assert (summary.error, summary.inserted) == (None, 1)
    assert connected.clock.slept == [1.0, 2.0]
    assert gw.refusals == ["isv.traffic-limited", "isv.traffic-limited", "isv.access-token-expired"]
    conn = _conn(sessions, connected.connection_id)
    assert conn.access_token_enc is not None
    assert connected.ctx.box.open(conn.access_token_enc) == "access-2"
    assert conn.token_expires_at == T0 + timedelta(days=7)


def test_secrets_are_encrypted_at_rest(
    sessions: sessionmaker[Session], connected: Connected
) -> None:
    with sessions() as s:
        raw = s.execute(
            text(
                "SELECT app_secret_enc, access_token_enc, refresh_token_enc "
                "FROM platform_connections"
            )
        ).one()
        every_column = " ".join(
            str(v) for v in s.execute(text("SELECT * FROM platform_connections")).one()
        )
    assert APP_SECRET not in every_column
    assert "access-1" not in every_column and "refresh-1" not in every_column
    box = connected.ctx.box
    assert [box.open(v) for v in raw] == [APP_SECRET, "access-1", "refresh-1"]
    assert all(v.startswith("gAAAAA") for v in raw)  # Fernet tokens
    assert "s3cret" not in repr(_conn(sessions, connected.connection_id))


def test_an_order_marked_in_lanshou_keeps_its_waybill_until_the_platform_has_one(
    sessions: sessionmaker[Session], connected: Connected
) -> None:
    gw = connected.gateway
    gw.put_order("950", updated=T0 - H)
    sync_connection(sessions, connected.ctx, RULES, connected.connection_id, T0, since=T0 - 2 * H)
    with sessions() as s:
        shipment = s.execute(select(Shipment)).scalar_one()
        shipment.waybill_no, shipment.status = "YT9000", "awaiting_pickup"
        shipment.shipped_at = T0 - timedelta(minutes=30)
        s.commit()
    gw.put_order("950", updated=T0 + timedelta(minutes=1), exp_ship=T0 + 48 * H)
    connected.clock.at = T0 + H
    sync_connection(sessions, connected.ctx, RULES, connected.connection_id, T0 + H)
    assert _shipments(sessions) == {"950": ("YT9000", None, "awaiting_pickup")}
    assert _orders(sessions) == {"950": ("paid", T0 + 48 * H)}


def test_timestamps_are_unix_seconds_of_the_instant() -> None:
    assert int(datetime(2026, 11, 11, 2, 0, tzinfo=UTC).timestamp()) == 1794362400


def test_the_buyers_phone_tail_comes_from_post_tel_or_a_mask_showing_four_digits(
    sessions: sessionmaker[Session], connected: Connected
) -> None:
    """Only four digits are kept; the e-commerce mask (1********35) and a ciphertext give none."""
    gw = connected.gateway
    gw.put_order("6911", updated=T0 - 3 * H, post_tel="13800001234")
    gw.put_order("6912", updated=T0 - 3 * H, mask_post_tel="*******1035")  # 即时零售
    gw.put_order("6913", updated=T0 - 3 * H)  # 1********35
    gw.put_order("6914", updated=T0 - 3 * H, post_tel="#Zm9vYmFy1234", mask_post_tel="")

    summary = sync_connection(
        sessions, connected.ctx, RULES, connected.connection_id, T0, since=T0 - 5 * H
    )

    assert (summary.error, summary.inserted) == (None, 4)
    with sessions() as s:
        tails = {e: t for e, t in s.execute(select(Order.external_id, Order.buyer_phone_tail))}
    assert tails == {"6911": "1234", "6912": "1035", "6913": None, "6914": None}
