"""Connecting a shop to 抖店 and handing out clients that keep its tokens fresh and stored.

Connecting (self-use authorisation, 自用型) asks the gateway for a token first: a wrong app key,
secret or shop id is refused by the platform and nothing is stored. Secrets go into the row
sealed (:mod:`lanshou.platforms.secrets`); nothing here returns or records them in clear.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lanshou import audit
from lanshou.adapters.db.engine import unit_of_work
from lanshou.adapters.db.models import PlatformConnection, Shop
from lanshou.adapters.platforms.douyin import Credentials, DouyinClient, DouyinError, Token
from lanshou.errors import InvalidInput, NotFound
from lanshou.imports import ensure_platform
from lanshou.platforms.context import PlatformsContext

__all__ = [
    "DOUYIN",
    "ConnectionView",
    "client_for",
    "connect_douyin",
    "connection_ids",
    "connection_views",
    "record_failure",
    "store_token",
    "token_saver",
]

DOUYIN = "douyin"


@dataclass(frozen=True)
class ConnectionView:
    """A connection as people and the API see it: no secret, no token."""

    id: int
    shop_id: int
    shop_code: str
    shop_name: str
    platform: str
    gateway: str
    app_key: str
    external_shop_id: str
    auth_kind: str
    state: str
    token_expires_at: datetime | None
    sync_cursor: datetime | None
    last_sync_at: datetime | None
    last_error: str | None


def connection_views(session: Session) -> list[ConnectionView]:
    rows = session.execute(
        select(PlatformConnection, Shop.code, Shop.name)
        .join(Shop, Shop.id == PlatformConnection.shop_id)
        .order_by(PlatformConnection.platform, Shop.code)
    ).all()
    return [
        ConnectionView(
            id=c.id,
            shop_id=c.shop_id,
            shop_code=code,
            shop_name=name,
            platform=c.platform,
            gateway=c.gateway,
            app_key=c.app_key,
            external_shop_id=c.external_shop_id,
            auth_kind=c.auth_kind,
            state=c.state,
            token_expires_at=c.token_expires_at,
            sync_cursor=c.sync_cursor,
            last_sync_at=c.last_sync_at,
            last_error=c.last_error,
        )
        for c, code, name in rows
    ]


def store_token(conn: PlatformConnection, ctx: PlatformsContext, token: Token) -> None:
    conn.access_token_enc = ctx.box.seal(token.access_token)
    conn.refresh_token_enc = ctx.box.seal(token.refresh_token)
    conn.token_expires_at = token.expires_at
    conn.updated_at = ctx.clock()


def _shop(session: Session, code: str, name: str) -> Shop:
    platform_id = ensure_platform(session, DOUYIN, DOUYIN)
    shop = session.execute(
        select(Shop).where(Shop.platform_id == platform_id, Shop.code == code)
    ).scalar_one_or_none()
    if shop is None:
        shop = Shop(platform_id=platform_id, code=code, name=name or code)
        session.add(shop)
        session.flush()
    return shop


def connect_douyin(
    session: Session,
    ctx: PlatformsContext,
    *,
    shop_code: str,
    app_key: str,
    app_secret: str,
    gateway: str,
    now: datetime,
    actor: str,
    douyin_shop_id: str = "",
    authorization_code: str = "",
) -> PlatformConnection:
    """A token first — self-use authorisation (自用型) for ``douyin_shop_id``, or a tool app's
    (工具型) ``authorization_code`` from the merchant's authorisation — then the connection row
    (a new one, or the shop's existing one with the new app and tokens). The platform's
    refusal raises :class:`DouyinError` before anything is written."""
    shop_code, app_key, douyin_shop_id = shop_code.strip(), app_key.strip(), douyin_shop_id.strip()
    authorization_code = authorization_code.strip()
    if not (shop_code and app_key and app_secret and (douyin_shop_id or authorization_code)):
        raise InvalidInput(
            "shop, app key, app secret and a 抖店 shop id or authorisation code are required"
        )
    if not gateway.startswith(("https://", "http://")):
        raise InvalidInput(f"gateway must be an http(s) URL, not {gateway!r}", field="gateway")
    client = DouyinClient(
        Credentials(app_key, app_secret, gateway), ctx.transport, ctx.clock, sleep=ctx.sleep
    )
    if authorization_code:
        token = client.create_token_code(authorization_code)
    else:
        token = client.create_token_self(douyin_shop_id)
    shop = _shop(session, shop_code, token.shop_name)
    conn = session.execute(
        select(PlatformConnection).where(
            PlatformConnection.platform == DOUYIN, PlatformConnection.shop_id == shop.id
        )
    ).scalar_one_or_none()
    if conn is None:
        conn = PlatformConnection(platform=DOUYIN, shop_id=shop.id, created_at=now)
        session.add(conn)
    conn.gateway = gateway
    conn.app_key = app_key
    conn.app_secret_enc = ctx.box.seal(app_secret)
    conn.external_shop_id = token.shop_id or douyin_shop_id
    conn.auth_kind = "code" if authorization_code else "self"
    conn.state = "connected"
    conn.last_error = None
    store_token(conn, ctx, token)
    conn.updated_at = now
    session.flush()
    audit.record(
        session,
        entity_type="platform_connection",
        entity_id=conn.id,
        action="connected",
        actor=actor,
        at=now,
        data={
            "platform": DOUYIN,
            "shop": shop_code,
            "app_key": app_key,
            "douyin_shop_id": conn.external_shop_id,
            "gateway": gateway,
            "authorisation": conn.auth_kind,
        },
    )
    return conn


def client_for(
    conn: PlatformConnection,
    ctx: PlatformsContext,
    on_token: Callable[[Token], None],
) -> DouyinClient:
    """A client with the connection's app and token; ``on_token`` stores each new token."""
    if conn.access_token_enc is None or conn.refresh_token_enc is None:
        raise NotFound(f"connection {conn.id} has no token: connect the shop again")
    token = Token(
        access_token=ctx.box.open(conn.access_token_enc),
        refresh_token=ctx.box.open(conn.refresh_token_enc),
        expires_at=conn.token_expires_at or ctx.clock(),
        shop_id=conn.external_shop_id,
    )
    return DouyinClient(
        Credentials(conn.app_key, ctx.box.open(conn.app_secret_enc), conn.gateway),
        ctx.transport,
        ctx.clock,
        token=token,
        on_token=on_token,
        sleep=ctx.sleep,
        self_shop_id=conn.external_shop_id if conn.auth_kind == "self" else None,
    )


def token_saver(
    sessions: sessionmaker[Session], ctx: PlatformsContext, connection_id: int
) -> Callable[[Token], None]:
    """Stores a new token in its own transaction at once: a refresh spends the old refresh
    token, so the new one must survive whatever happens to the work that needed it."""

    def save(token: Token) -> None:
        with unit_of_work(sessions) as session:
            conn = session.get(PlatformConnection, connection_id)
            if conn is not None:
                store_token(conn, ctx, token)

    return save


def record_failure(conn: PlatformConnection, error: DouyinError | str, now: datetime) -> None:
    """The platform's own words (code and message) on the row; the state shows it failing."""
    conn.last_error = error if isinstance(error, str) else error.describe()
    conn.state = "failing"
    conn.updated_at = now


def connection_ids(session: Session, shop_code: str | None = None) -> list[int]:
    """The 抖店 connections (of one shop, by its code); :class:`NotFound` if there is none."""
    query = (
        select(PlatformConnection.id)
        .join(Shop, Shop.id == PlatformConnection.shop_id)
        .where(PlatformConnection.platform == DOUYIN)
        .order_by(Shop.code)
    )
    if shop_code is not None:
        query = query.where(Shop.code == shop_code)
    ids = list(session.execute(query).scalars())
    if not ids:
        raise NotFound(
            f"shop {shop_code} is not connected to 抖店" if shop_code else "no shop is connected"
        )
    return ids
