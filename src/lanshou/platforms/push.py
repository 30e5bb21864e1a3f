"""抖店 message push (消息推送): verify, store once, apply.

The push is ``POST`` with a JSON array body of ``{tag, msg_id, data}`` (``data`` is itself a
JSON string), the app key in the ``app-id`` header and ``event-sign`` = MD5(app_key + body +
app_secret) (minibear2021/doudian ``doudian/core.py``, ``callback``); the platform wants
``{"code": 0, "msg": "success"}`` back, or it pushes again.

1. :func:`verify_push` checks the signature against the secret of the connected app before
   anything is read: a mismatch stores nothing.
2. :func:`store_messages` keeps every message as received, once per ``msg_id`` (a redelivery
   is a no-op); a tag lanshou does not handle is kept raw and marked ``ignored``.
3. :func:`apply_message` applies one stored message: the order tags fetch the order
   (``order.orderDetail``) and write it exactly as the sync does, so a push and the next sync
   agree; the after-sales arbitration tags become platform events on the matching violation's
   appeal. A message that cannot be applied keeps the platform's error as its ``detail`` and
   the shop's next scheduled sync brings the order anyway.

Tag meanings follow the 抖店 message docs as the issue lists them (100 created, 101 paid, 102
shipped, 108 partially shipped, 104 logistics changed, 106 cancelled, 126 ship-by time
changed). The after-sales arbitration tags are those of zsmhub/doudian-sdk ``message/*.go``
(each message struct's ``Tag()``, with the op.jinritemai.com message-docs page it was taken
from): 212 ``doudian_refund_ArbitrateApplied`` 买家发起客服仲裁 (message-docs/31/256), 213
``ArbitrateSubmiting`` 客服要求商家上传凭证 (31/257), 214 ``ArbitrateSubmited`` 商家上传仲裁凭证
(31/258), 215 ``ArbitrateCancelled`` 买家取消仲裁 (31/260), 216 ``ArbitrateAudited`` 客服仲裁结果
(31/259, the only one with ``arbitrate_conclusion``), 217 ``ArbitrateServiceIntervene`` 仲裁客服
介入 (31/627), 218 ``ArbitrateDiscussUpload`` 协商期上传凭证 (31/628). The message names and
pages agree with fudiwei/DotNetCore.SKIT.FlurlHttpClient.ByteDance
``src/SKIT.FlurlHttpClient.ByteDance.DouyinShop/Events/Refund/Arbitrate/*.cs`` (fields
``p_id``, ``s_id``, ``shop_id``, ``aftersale_id``, ``aftersale_status``, ``aftersale_type``,
``arbitrate_id``, ``arbitrate_status``); neither source gives the meaning of the status or
conclusion codes, so they are kept as numbers.
"""

from __future__ import annotations

import hmac
import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.engine import unit_of_work
from lanshou.adapters.db.models import (
    Appeal,
    Order,
    PlatformConnection,
    PlatformMessage,
    Shop,
    Violation,
)
from lanshou.adapters.platforms.douyin import DouyinError, event_sign
from lanshou.appeals import record_event
from lanshou.enforcement import RulesContext
from lanshou.errors import AuthenticationFailed, InvalidInput, LanshouError
from lanshou.imports import OrderWriter
from lanshou.platforms.carrier_codes import carrier_codes
from lanshou.platforms.connections import DOUYIN, client_for, token_saver
from lanshou.platforms.context import PlatformsContext
from lanshou.platforms.order_writes import write_orders
from lanshou.platforms.sync import fetch_detail

__all__ = [
    "ACK",
    "ARBITRATION_TAGS",
    "ORDER_TAGS",
    "MalformedPush",
    "PushRefused",
    "apply_message",
    "apply_stranded",
    "store_messages",
    "verify_push",
]

ACK = {"code": 0, "msg": "success"}
ORDER_TAGS = {
    "100": "created",
    "101": "paid",
    "102": "shipped",
    "108": "partially shipped",
    "104": "logistics changed",
    "106": "cancelled",
    "126": "ship-by time changed",
}
# tag → the platform's message name (zsmhub/doudian-sdk message/*.go, see the docstring).
ARBITRATION_TAGS: dict[str, str] = {
    "212": "doudian_refund_ArbitrateApplied",
    "213": "doudian_refund_ArbitrateSubmiting",
    "214": "doudian_refund_ArbitrateSubmited",
    "215": "doudian_refund_ArbitrateCancelled",
    "216": "doudian_refund_ArbitrateAudited",
    "217": "doudian_refund_ArbitrateServiceIntervene",
    "218": "doudian_refund_ArbitrateDiscussUpload",
}
APPEAL_EVENT = "platform_arbitration"
# A message still pending this long after it arrived lost its apply (the process stopped
# between the answer and the background task); the worker applies it.
STRANDED_AFTER = timedelta(minutes=2)


class PushRefused(AuthenticationFailed):
    """The ``event-sign`` matches no connected app's secret."""


class MalformedPush(InvalidInput):
    """The body is not a JSON array of ``{tag, msg_id, data}``."""


def verify_push(
    session: Session, ctx: PlatformsContext, app_id: str | None, body: bytes, signature: str
) -> str:
    """The app key whose secret signed ``body``; :class:`PushRefused` if none did."""
    query = select(PlatformConnection.app_key, PlatformConnection.app_secret_enc).where(
        PlatformConnection.platform == DOUYIN
    )
    if app_id:
        query = query.where(PlatformConnection.app_key == app_id)
    seen: set[str] = set()
    for app_key, secret_enc in session.execute(query.order_by(PlatformConnection.id)):
        if app_key in seen:
            continue
        seen.add(app_key)
        expected = event_sign(app_key, body, ctx.box.open(secret_enc))
        if hmac.compare_digest(expected, signature.strip().lower()):
            return str(app_key)
    raise PushRefused("event-sign does not match any connected 抖店 app")


def parse_messages(body: bytes) -> list[dict[str, Any]]:
    try:
        items = json.loads(body)
    except ValueError as exc:
        raise MalformedPush("the push body is not JSON") from exc
    if not isinstance(items, list) or not all(
        isinstance(i, dict) and i.get("msg_id") and "tag" in i for i in items
    ):
        raise MalformedPush("the push body must be a JSON array of {tag, msg_id, data}")
    return items


def _data(item: dict[str, Any]) -> dict[str, Any]:
    raw = item.get("data")
    if isinstance(raw, dict):
        return raw
    try:
        data = json.loads(raw) if isinstance(raw, str) else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def store_messages(
    session: Session, app_key: str, items: list[dict[str, Any]], now: datetime
) -> list[int]:
    """Store each new message once; returns the ids of those that need applying."""
    connections = dict(
        session.execute(
            select(PlatformConnection.external_shop_id, PlatformConnection.id).where(
                PlatformConnection.platform == DOUYIN, PlatformConnection.app_key == app_key
            )
        ).all()
    )
    to_apply: list[int] = []
    for item in items:
        msg_id, tag = str(item["msg_id"])[:64], str(item["tag"])[:16]
        known = tag in ORDER_TAGS or tag in ARBITRATION_TAGS
        shop = str(_data(item).get("shop_id", ""))
        row = PlatformMessage(
            platform=DOUYIN,
            msg_id=msg_id,
            tag=tag,
            connection_id=connections.get(shop),
            raw=item,
            received_at=now,
            outcome="pending" if known else "ignored",
            detail=None if known else f"tag {tag} is not handled; kept as received",
        )
        try:
            with session.begin_nested():  # a redelivered msg_id hits the unique key
                session.add(row)
                session.flush()
        except IntegrityError:
            continue
        if known:
            to_apply.append(row.id)
    return to_apply


def _finish(sessions: sessionmaker[Session], message_id: int, outcome: str, detail: str) -> None:
    with unit_of_work(sessions) as session:
        row = session.get(PlatformMessage, message_id)
        assert row is not None
        row.outcome, row.detail = outcome, detail


def apply_message(
    sessions: sessionmaker[Session],
    ctx: PlatformsContext,
    rules: RulesContext,
    message_id: int,
    now: datetime,
) -> str:
    """Apply one stored message; returns its outcome (applied, unmatched or failed)."""
    with unit_of_work(sessions) as session:
        message = session.get(PlatformMessage, message_id)
        assert message is not None
        tag, data = message.tag, _data(message.raw)
        conn = (
            session.get(PlatformConnection, message.connection_id)
            if message.connection_id
            else None
        )
        if conn is None:
            message.outcome = "unmatched"
            message.detail = f"no connected shop with 抖店 shop id {data.get('shop_id')!r}"
            return message.outcome
        order_id = str(data.get("p_id") or "")
        if tag in ARBITRATION_TAGS:
            return _arbitration(session, message, conn, order_id, data, now)
        shop = session.get(Shop, conn.shop_id)
        assert shop is not None
        shop_id, shop_code, platform_id = shop.id, shop.code, shop.platform_id
        try:
            client = client_for(conn, ctx, token_saver(sessions, ctx, conn.id))
        except LanshouError as exc:  # no token, or a secret sealed under another key
            message.outcome, message.detail = "failed", exc.message
            return message.outcome
    try:
        detail = fetch_detail(client, order_id)
    except DouyinError as exc:
        _finish(sessions, message_id, "failed", exc.describe())
        return "failed"
    writer = OrderWriter(platform_id, now, rules, reason=f"抖店 push {tag} ({ORDER_TAGS[tag]})")
    with unit_of_work(sessions) as session:
        carriers = carrier_codes(session, DOUYIN)
        written = write_orders(session, writer, shop_id, shop_code, [detail], carriers)
        row = session.get(PlatformMessage, message_id)
        assert row is not None
        row.outcome = "applied"
        row.detail = (
            f"order {order_id}: "
            f"{'inserted' if written.inserted else 'updated' if written.updated else 'unchanged'}"
            if not written.skipped_unpaid
            else f"order {order_id}: not paid yet, not taken"
        )
    return "applied"


def _arbitration(
    session: Session,
    message: PlatformMessage,
    conn: PlatformConnection,
    order_id: str,
    data: dict[str, Any],
    now: datetime,
) -> str:
    """The platform's arbitration step as an event on the newest appeal of the order's
    violation; the appeal's state is the reviewer's business, not the message's."""
    appeal = session.execute(
        select(Appeal)
        .join(Violation, Violation.id == Appeal.violation_id)
        .join(Order, Order.id == Violation.order_id)
        .where(Order.shop_id == conn.shop_id, Order.external_id == order_id)
        .order_by(Appeal.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if appeal is None:
        message.outcome = "unmatched"
        message.detail = f"order {order_id} has no appealed violation"
        return message.outcome
    facts: dict[str, Any] = {
        key: data[key]
        for key in (
            "s_id",
            "aftersale_id",
            "aftersale_type",
            "aftersale_status",
            "arbitrate_id",
            "arbitrate_status",
            "arbitrate_conclusion",
        )
        if key in data
    }
    record_event(
        session,
        appeal,
        APPEAL_EVENT,
        appeal.state,
        None,
        now,
        reason=f"抖店 after-sales arbitration message (tag {message.tag})",
        data={
            "platform": DOUYIN,
            "tag": message.tag,
            "message": ARBITRATION_TAGS[message.tag],
            "msg_id": message.msg_id,
            **facts,
        },
    )
    message.outcome = "applied"
    message.detail = f"appeal {appeal.id}"
    return message.outcome


def apply_stranded(
    sessions: sessionmaker[Session], ctx: PlatformsContext, rules: RulesContext, now: datetime
) -> int:
    """Apply the messages stored but never applied; returns how many were tried."""
    with unit_of_work(sessions) as session:
        stranded = list(
            session.execute(
                select(PlatformMessage.id)
                .where(
                    PlatformMessage.outcome == "pending",
                    PlatformMessage.received_at <= now - STRANDED_AFTER,
                )
                .order_by(PlatformMessage.id)
            ).scalars()
        )
    for message_id in stranded:
        apply_message(sessions, ctx, rules, message_id, now)
    return len(stranded)
