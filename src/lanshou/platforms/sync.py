"""The incremental order sync of one connected shop: ``order.searchList`` by update time.

A run reads ``[cursor - overlap, now]`` (or ``[since, now]``), ordered by update time, page by
page (pages from 0, at most 100 orders each; zsmhub/doudian-sdk
``api/order_searchList/request/order_searchList_request.go``). Each page is written in one
transaction (upserts on the shop's order number, so the overlap re-reads an order without
duplicating it). The cursor moves to the window's end only when every page is in: a run that
fails half-way leaves the cursor where it was, records the platform's code and message as the
connection's last error, and the next run reads the same window again. Orders updated while a
run pages fall after its window's end and are read by the next run.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from lanshou import audit
from lanshou.adapters.db.engine import unit_of_work
from lanshou.adapters.db.models import PlatformConnection, Shop
from lanshou.adapters.platforms.douyin import DouyinClient, DouyinError
from lanshou.enforcement import RulesContext
from lanshou.errors import LanshouError, NotFound
from lanshou.imports import OrderWriter
from lanshou.platforms.carrier_codes import (
    carrier_codes,
    codes_stale,
    fetch_company_list,
    store_company_list,
)
from lanshou.platforms.connections import DOUYIN, client_for, record_failure, token_saver
from lanshou.platforms.context import PlatformsContext
from lanshou.platforms.douyin_orders import needs_detail
from lanshou.platforms.order_writes import write_orders
from lanshou.platforms.secrets import SecretUnreadable

__all__ = [
    "SyncSummary",
    "due_connections",
    "fetch_detail",
    "sync_connection",
    "sync_due",
    "unreadable_secret",
]

log = logging.getLogger("lanshou.platforms.sync")
ACTOR = "platform-sync"

SEARCH_PATH = "/order/searchList"
DETAIL_PATH = "/order/orderDetail"
Progress = Callable[[int, int], None]  # (orders of this page, total the platform reported)


@dataclass
class SyncSummary:
    connection_id: int
    shop_code: str
    window_start: datetime
    window_end: datetime
    pages: int = 0
    orders: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_unpaid: int = 0
    details_fetched: int = 0
    unknown_carriers: Counter[str] = field(default_factory=Counter)
    calls: int = 0
    error: str | None = None


def fetch_detail(client: DouyinClient, order_id: str) -> dict[str, Any]:
    """``order.orderDetail``: the one order, with everything the list may leave out."""
    data = client.call(DETAIL_PATH, {"shop_order_id": order_id})
    detail = (data or {}).get("shop_order_detail")
    if not isinstance(detail, dict):
        raise DouyinError("order.orderDetail", 0, f"no shop_order_detail for order {order_id}")
    return detail


def unreadable_secret(shop_code: str, connection_id: int) -> str:
    """What a person reads when a connection's sealed token or app secret does not open."""
    return (
        f"shop {shop_code} (抖店 connection #{connection_id}): its stored app secret or token "
        "does not decrypt with the current LANSHOU_SECRET_KEY (it was changed since the shop was "
        "connected); connect the shop again (lanshou platforms connect), or restore the "
        "previous LANSHOU_SECRET_KEY"
    )


def _cannot_open(
    session: Session, conn: PlatformConnection, shop_code: str, exc: LanshouError, now: datetime
) -> str:
    """The connection cannot get a client: the reason goes on its row (admin page) and, when
    it is new, into the audit trail and the log; only this shop's run stops."""
    problem = (
        unreadable_secret(shop_code, conn.id)
        if isinstance(exc, SecretUnreadable)
        else f"shop {shop_code}: {exc.message}"
    )
    if conn.last_error != problem:
        audit.record(
            session,
            entity_type="platform_connection",
            entity_id=conn.id,
            action="platform_sync_refused",
            actor=ACTOR,
            at=now,
            reason=problem,
            data={"platform": DOUYIN, "shop": shop_code},
        )
        log.error("platform sync not run: %s", problem)
    record_failure(conn, problem, now)
    return problem


def _window(
    conn: PlatformConnection, ctx: PlatformsContext, now: datetime, since: datetime | None
) -> datetime:
    if since is not None:
        return since
    if conn.sync_cursor is not None:
        return conn.sync_cursor - ctx.overlap
    return now - ctx.first_window


def sync_connection(
    sessions: sessionmaker[Session],
    ctx: PlatformsContext,
    rules: RulesContext,
    connection_id: int,
    now: datetime,
    *,
    since: datetime | None = None,
    progress: Progress | None = None,
) -> SyncSummary:
    """One run for one connection; a platform refusal ends it with ``summary.error`` set."""
    with unit_of_work(sessions) as session:
        conn = session.get(PlatformConnection, connection_id)
        if conn is None:
            raise NotFound(f"no platform connection {connection_id}")
        shop = session.get(Shop, conn.shop_id)
        assert shop is not None
        start = _window(conn, ctx, now, since)
        shop_id, shop_code, platform_id = shop.id, shop.code, shop.platform_id
        try:
            client = client_for(conn, ctx, token_saver(sessions, ctx, connection_id))
        except LanshouError as exc:  # no token, or a secret sealed under another key
            problem = _cannot_open(session, conn, shop_code, exc, now)
            return SyncSummary(connection_id, shop_code, start, now, error=problem)
        refresh_codes = codes_stale(session, DOUYIN, now)
    summary = SyncSummary(connection_id, shop_code, start, now)
    writer = OrderWriter(platform_id, now, rules, reason="抖店 order sync")
    try:
        if refresh_codes:
            companies = fetch_company_list(client)
            with unit_of_work(sessions) as session:
                store_company_list(session, DOUYIN, companies, now)
        with unit_of_work(sessions) as session:
            carriers = carrier_codes(session, DOUYIN)
        page = 0
        while True:
            data = client.call(
                SEARCH_PATH,
                {
                    "update_time_start": int(start.timestamp()),
                    "update_time_end": int(now.timestamp()),
                    "order_by": "update_time",
                    "order_asc": True,
                    "page": page,
                    "size": ctx.page_size,
                },
            )
            orders = list((data or {}).get("shop_order_list") or [])
            total = int((data or {}).get("total") or 0)
            for i, order in enumerate(orders):
                if needs_detail(order):
                    orders[i] = fetch_detail(client, str(order["order_id"]))
                    summary.details_fetched += 1
            try:
                with unit_of_work(sessions) as session:
                    written = write_orders(session, writer, shop_id, shop_code, orders, carriers)
            except Exception:
                writer.forget_uncommitted()
                raise
            summary.pages += 1
            summary.orders += len(orders)
            summary.inserted += written.inserted
            summary.updated += written.updated
            summary.unchanged += written.unchanged
            summary.skipped_unpaid += written.skipped_unpaid
            summary.unknown_carriers.update(written.unknown_carriers)
            if progress is not None:
                progress(len(orders), total)
            page += 1
            if not orders or page * ctx.page_size >= total:
                break
    except DouyinError as exc:
        summary.error = exc.describe()
        summary.calls = client.calls
        with unit_of_work(sessions) as session:
            conn = session.get(PlatformConnection, connection_id)
            assert conn is not None
            record_failure(conn, exc, now)
        return summary
    summary.calls = client.calls
    with unit_of_work(sessions) as session:
        conn = session.get(PlatformConnection, connection_id)
        assert conn is not None
        conn.sync_cursor = now
        conn.last_sync_at = now
        conn.last_error = None
        conn.state = "connected"
        conn.updated_at = now
    return summary


def due_connections(session: Session, now: datetime, every: timedelta) -> list[int]:
    """Connections the worker should sync now: never synced, or last synced ``every`` ago."""
    return list(
        session.execute(
            select(PlatformConnection.id)
            .where(
                PlatformConnection.platform == DOUYIN,
                PlatformConnection.state != "disconnected",
                or_(
                    PlatformConnection.last_sync_at.is_(None),
                    PlatformConnection.last_sync_at <= now - every,
                ),
                # a failing connection waits as long before the next try
                or_(
                    PlatformConnection.state != "failing",
                    PlatformConnection.updated_at <= now - every,
                ),
            )
            .order_by(PlatformConnection.id)
        ).scalars()
    )


def sync_due(
    sessions: sessionmaker[Session], ctx: PlatformsContext, rules: RulesContext, now: datetime
) -> list[SyncSummary]:
    """The worker's part: every connection due (see :func:`due_connections`), one run each;
    a refusal is recorded on its row and does not stop the others, nor does a shop whose run
    breaks (logged, its summary carries the error)."""
    with unit_of_work(sessions) as session:
        due = due_connections(session, now, ctx.sync_every)
    summaries = []
    for connection_id in due:
        try:
            summaries.append(sync_connection(sessions, ctx, rules, connection_id, now))
        except Exception as exc:
            log.exception("platform sync of connection %s failed", connection_id)
            error = f"{type(exc).__name__}: {exc}"
            summaries.append(SyncSummary(connection_id, f"#{connection_id}", now, now, error=error))
    return summaries
