"""抖店 message push, route callbacks and the connections list.

The push is verified (``event-sign``) before anything is stored; stored messages are applied
after the answer is sent (an order push fetches the order from the gateway, which must not
hold up the platform's push), and the shop's scheduled sync catches whatever could not be.
A route callback (the URL lanshou registered with ``/logistics/registerPackageRoute``) is
checked — connected shop, token, ``event-sign`` when sent, readable body — before its scans
go to the tracking inbox like any feed's.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from lanshou.adapters.db.engine import unit_of_work
from lanshou.bootstrap import Runtime
from lanshou.domain.roles import Role
from lanshou.entrypoints.api.deps import CallerDep, DbDep, RuntimeDep
from lanshou.entrypoints.api.routes.tracking import PUSH_MAX_BYTES, RECEIPT_HEADER, read_limited
from lanshou.entrypoints.api.schemas import ErrorPublic
from lanshou.entrypoints.api.schemas_platforms import PlatformConnectionPublic, PushAck
from lanshou.errors import AuthenticationFailed, NotFound, PermissionDenied
from lanshou.feeds import MalformedFeed, PayloadTooLarge
from lanshou.platforms import (
    ACK,
    MalformedPush,
    PushRefused,
    apply_message,
    connection_views,
    parse_messages,
    receive_route,
    store_messages,
    verify_push,
)

router = APIRouter(tags=["platforms"])

PUSH_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "tag": {"type": "string"},
                            "msg_id": {"type": "string"},
                            "data": {"type": "string", "description": "JSON text"},
                        },
                        "required": ["tag", "msg_id", "data"],
                    },
                }
            }
        },
    }
}


def _refusal(status: int, message: str) -> JSONResponse:
    return JSONResponse({"code": status, "msg": message}, status_code=status)


def _apply_all(runtime: Runtime, ids: list[int]) -> None:
    now = runtime.clock.now()
    for message_id in ids:
        apply_message(runtime.sessions, runtime.platforms, runtime.rules, message_id, now)


@router.post(
    "/platforms/douyin/push",
    openapi_extra=PUSH_BODY,
    responses={
        200: {"model": PushAck, "description": "stored (or a repeated msg_id)"},
        401: {"model": PushAck, "description": "event-sign does not match a connected app"},
        413: {"model": PushAck, "description": f"the body is larger than {PUSH_MAX_BYTES} bytes"},
        422: {"model": PushAck, "description": "the body is not an array of messages"},
    },
)
async def douyin_push(
    request: Request,
    runtime: RuntimeDep,
    background: BackgroundTasks,
    event_sign: Annotated[str | None, Header(alias="event-sign")] = None,
    app_id: Annotated[str | None, Header(alias="app-id")] = None,
) -> JSONResponse:
    """抖店 消息推送: verified, stored once per msg_id, applied after the answer."""
    now = runtime.clock.now()
    try:
        body = await read_limited(request, PUSH_MAX_BYTES)
    except PayloadTooLarge as exc:
        return _refusal(413, exc.message)
    if not event_sign:
        return _refusal(401, "the event-sign header is missing")

    def store() -> list[int]:
        with unit_of_work(runtime.sessions) as session:
            app_key = verify_push(session, runtime.platforms, app_id, body, event_sign)
            return store_messages(session, app_key, parse_messages(body), now)

    try:
        ids = await run_in_threadpool(store)
    except PushRefused as exc:
        return _refusal(401, exc.message)
    except MalformedPush as exc:
        return _refusal(422, exc.message)
    if ids:
        background.add_task(_apply_all, runtime, ids)
    return JSONResponse(ACK)


ROUTE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "description": "assumed to be queryPackageRoute's data: track_no, express, "
                    "track_routes[{content, state, state_time, opcode}]",
                }
            }
        },
    }
}


@router.post(
    "/platforms/douyin/route",
    openapi_extra=ROUTE_BODY,
    responses={
        200: {"model": PushAck, "description": "accepted into the tracking inbox"},
        401: {"model": PushAck, "description": "the token or event-sign does not match"},
        404: {"model": PushAck, "description": "no connected shop has this 抖店 shop id"},
        413: {"model": PushAck, "description": f"the body is larger than {PUSH_MAX_BYTES} bytes"},
        422: {"model": PushAck, "description": "the body is not a route (names the field)"},
    },
)
async def douyin_route(
    request: Request,
    runtime: RuntimeDep,
    # No length limits here: FastAPI's own refusal would not be in the platform's answer
    # format; an overlong shop id matches no connection (404), an overlong token no key (401).
    shop: Annotated[str, Query(description="the 抖店 shop id")] = "",
    token: Annotated[str, Query(description="lanshou's callback token")] = "",
    event_sign: Annotated[str | None, Header(alias="event-sign")] = None,
) -> JSONResponse:
    """抖店 route push to the callback lanshou registered: checked, then into the inbox."""
    now = runtime.clock.now()
    try:
        body = await read_limited(request, PUSH_MAX_BYTES)
    except PayloadTooLarge as exc:
        return _refusal(413, exc.message)

    def store() -> int:
        with unit_of_work(runtime.sessions) as session:
            summary = receive_route(
                session,
                runtime.platforms,
                body,
                shop_id=shop,
                token=token,
                signature=event_sign,
                now=now,
            )
            return summary.receipt_id

    try:
        receipt = await run_in_threadpool(store)
    except NotFound as exc:
        return _refusal(404, exc.message)
    except AuthenticationFailed as exc:
        return _refusal(401, exc.message)
    except MalformedFeed as exc:
        return _refusal(422, exc.message)
    return JSONResponse(ACK, headers={RECEIPT_HEADER: str(receipt)})


@router.get(
    "/platforms/connections",
    response_model=list[PlatformConnectionPublic],
    responses={401: {"model": ErrorPublic}, 403: {"model": ErrorPublic}},
)
def connections(caller: CallerDep, db: DbDep) -> list[PlatformConnectionPublic]:
    """Connected shops (administrators only): state, last sync, cursor, last error; never a
    secret or a token."""
    if caller.role is not Role.ADMIN:
        raise PermissionDenied("only administrators may list platform connections")
    return [
        PlatformConnectionPublic(
            id=c.id,
            shop_id=c.shop_id,
            shop_code=c.shop_code,
            platform=c.platform,
            gateway=c.gateway,
            app_key=c.app_key,
            external_shop_id=c.external_shop_id,
            state=c.state,
            token_expires_at=c.token_expires_at,
            sync_cursor=c.sync_cursor,
            last_sync_at=c.last_sync_at,
            last_error=c.last_error,
        )
        for c in connection_views(db)
    ]
