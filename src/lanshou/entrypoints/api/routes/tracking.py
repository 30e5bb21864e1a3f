"""Tracking feeds: 快递100 and 快递鸟 pushes, the generic JSON batch, feed integrations.

Bodies are read here with a size limit (the declared ``Content-Length`` *and* the bytes actually
streamed), so an oversized request is refused before anything is parsed. The push endpoints answer
in the aggregator's own format, success or not; any non-success makes the aggregator retry.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import httpx
from fastapi import APIRouter, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from lanshou.adapters.db.engine import unit_of_work
from lanshou.adapters.db.models.feeds import FeedIntegration
from lanshou.adapters.notify import EgressRefused
from lanshou.bootstrap import Runtime
from lanshou.domain.roles import Role
from lanshou.enforcement import ReceiptView, drain_inbox, read_receipt
from lanshou.entrypoints.api.deps import CallerDep, DbDep, RuntimeDep
from lanshou.entrypoints.api.openapi import inline_schema
from lanshou.entrypoints.api.schemas import ErrorPublic
from lanshou.entrypoints.api.schemas_tracking import (
    BatchRecord,
    FeedIntegrationCreate,
    FeedIntegrationPublic,
    KdniaoAck,
    Kuaidi100Ack,
    TrackingBatchIn,
    TrackingBatchResult,
    TrackingReceiptPublic,
    plain_events,
)
from lanshou.entrypoints.params import DbId
from lanshou.errors import InvalidInput, LanshouError, PermissionDenied
from lanshou.feeds import (
    MalformedFeed,
    PayloadTooLarge,
    SignatureInvalid,
    create_integration,
    event_records,
    ingest_kdniao,
    ingest_kuaidi100,
    ingest_records,
    kdniao,
    kuaidi100,
    list_integrations,
)
from lanshou.identity import Principal, scope_for

BATCH_MAX_BYTES = 20 * 1024 * 1024
PUSH_MAX_BYTES = 2 * 1024 * 1024
CALLBACKS = {
    "kuaidi100": "/api/v1/tracking/kuaidi100",
    "kdniao": "/api/v1/tracking/kdniao",
    "douyin": "/api/v1/platforms/douyin/route",
}
RECEIPT_HEADER = "X-Lanshou-Receipt"  # a push answers in its aggregator's format: the receipt
MAX_WAIT_SECONDS = 30
IDLE_POLL_SECONDS = 0.05
T = TypeVar("T")


def _form(fields: dict[str, str], required: list[str]) -> dict[str, Any]:
    """``openapi_extra`` for a push read by hand: its form fields, as the aggregator sends them."""
    properties = {name: {"type": "string", "description": text} for name, text in fields.items()}
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {"type": "object", "properties": properties, "required": required}
                }
            },
        }
    }


def _answers(ack: type[Kuaidi100Ack | KdniaoAck]) -> dict[int | str, dict[str, Any]]:
    """Every answer of a push is in the aggregator's format; the status says what went wrong."""
    return {
        200: {"model": ack, "description": "stored (or a duplicate)"},
        401: {"model": ack, "description": "the signature does not match a configured key"},
        413: {"model": ack, "description": f"the body is larger than {PUSH_MAX_BYTES} bytes"},
        422: {"model": ack, "description": "a form field is missing or the push is malformed"},
    }


KUAIDI100_FORM = _form(
    {"param": "the push, JSON text", "sign": "MD5 of param + salt, upper-case hex"},
    ["param", "sign"],
)
KDNIAO_FORM = _form(
    {
        "RequestData": "the push, JSON text",
        "DataSign": "Base64 of the lower-case hex MD5 of RequestData + AppKey",
        "RequestType": "101 (track push)",
    },
    ["RequestData", "DataSign"],
)

router = APIRouter(tags=["tracking"])


async def read_limited(request: Request, limit: int) -> bytes:
    """The body, refusing with 413 as soon as it is known to be larger than ``limit``."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"request body is larger than {limit} bytes")
    parts, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"request body is larger than {limit} bytes")
        parts.append(chunk)
    return b"".join(parts)


async def _read_form(request: Request, limit: int) -> dict[str, str]:
    body = await read_limited(request, limit)

    async def replay() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    form = await Request(request.scope, replay).form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


async def _in_transaction(runtime: Runtime, work: Callable[[Session], T]) -> T:
    def run() -> T:
        with unit_of_work(runtime.sessions) as session:
            return work(session)

    return await run_in_threadpool(run)


def _feed_failure(exc: LanshouError) -> tuple[int, str]:
    """(HTTP status, 快递100 returnCode): a bad signature is worth a retry once fixed."""
    if isinstance(exc, SignatureInvalid):
        return 401, "500"
    if isinstance(exc, PayloadTooLarge):
        return 413, "400"
    return 422, "400"


@router.post("/tracking/kuaidi100", openapi_extra=KUAIDI100_FORM, responses=_answers(Kuaidi100Ack))
async def kuaidi100_push(request: Request, runtime: RuntimeDep) -> JSONResponse:
    """快递100 subscription push (form fields ``param`` and ``sign``); verified before storing."""
    now = runtime.clock.now()
    try:
        form = await _read_form(request, PUSH_MAX_BYTES)
        param, sign = form.get("param"), form.get("sign")
        if not param or not sign:
            raise MalformedFeed("param" if not param else "sign", "form field is missing")
        summary = await _in_transaction(runtime, lambda s: ingest_kuaidi100(s, param, sign, now))
    except (SignatureInvalid, MalformedFeed, PayloadTooLarge) as exc:
        code, return_code = _feed_failure(exc)
        return JSONResponse(kuaidi100.ack(False, exc.message, return_code), status_code=code)
    return JSONResponse(kuaidi100.ACK_OK, headers={RECEIPT_HEADER: str(summary.receipt_id)})


@router.post("/tracking/kdniao", openapi_extra=KDNIAO_FORM, responses=_answers(KdniaoAck))
async def kdniao_push(request: Request, runtime: RuntimeDep) -> JSONResponse:
    """快递鸟 track push (``RequestData``, ``DataSign``, ``RequestType``); verified first."""
    now = runtime.clock.now()
    business_id = ""
    try:
        form = await _read_form(request, PUSH_MAX_BYTES)
        data, data_sign = form.get("RequestData"), form.get("DataSign")
        if not data or not data_sign:
            raise MalformedFeed("RequestData" if not data else "DataSign", "form field is missing")
        business_id = kdniao.business_id_of(data)
        _, summary = await _in_transaction(
            runtime, lambda s: ingest_kdniao(s, data, data_sign, now)
        )
    except (SignatureInvalid, MalformedFeed, PayloadTooLarge) as exc:
        code, _ = _feed_failure(exc)
        return JSONResponse(kdniao.ack(business_id, now, False, exc.message), status_code=code)
    return JSONResponse(
        kdniao.ack(business_id, now, True), headers={RECEIPT_HEADER: str(summary.receipt_id)}
    )


@router.post(
    "/tracking/events",
    response_model=TrackingBatchResult,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": inline_schema(TrackingBatchIn)}},
        }
    },
    responses={
        401: {"model": ErrorPublic},
        403: {"model": ErrorPublic},
        413: {"model": ErrorPublic},
        422: {"model": ErrorPublic},
    },
)
async def tracking_events(
    request: Request,
    caller: CallerDep,
    runtime: RuntimeDep,
    wait: Annotated[
        float,
        Query(
            ge=0,
            le=MAX_WAIT_SECONDS,
            description="seconds to wait for the verdicts before answering (0–30; default 0: "
            "answer once accepted). The answer says how far judging got.",
        ),
    ] = 0,
) -> TrackingBatchResult:
    """Up to 10,000 normalised events (20 MB) from an integration; administrators' tokens only.

    The events are accepted into the tracking inbox and the answer comes once they are stored
    there, with a receipt (`GET /tracking/receipts/{id}`); workers fold and judge them."""
    if caller.role is not Role.ADMIN:
        raise PermissionDenied("posting tracking events needs an administrator's integration token")
    body = await read_limited(request, BATCH_MAX_BYTES)
    records = plain_events(body)  # one pass: parsed once, validated, each object's own text
    if records is None:  # another shape, or refused: read as before, refused in its words
        records = _batch_records(body)
    now = runtime.clock.now()
    summary = await _in_transaction(runtime, lambda s: ingest_records(s, records, now))
    if wait:
        view = _receipt(await _await_verdicts(runtime, caller, summary.receipt_id, wait))
    else:  # just accepted: nothing judged yet that the caller waits to hear of
        view = TrackingReceiptPublic(
            receipt_id=summary.receipt_id,
            received=summary.received,
            judged=0,
            stored=None,
            duplicates=None,
            unmatched=None,
            unknown_carriers=summary.unknown_carriers,
            judged_at=None,
            violations=[],
        )
    return TrackingBatchResult(
        **view.model_dump(), unknown_carrier_names=summary.unknown_carrier_names
    )


def _batch_records(body: bytes) -> list[BatchRecord]:
    """The events of a body :func:`plain_events` did not take: validated by the schema (its
    refusal, a 422, in its own words), each with its JSON text as the body spells it (valid,
    so an object: stored as it is, not encoded again)."""
    try:
        batch = TrackingBatchIn.model_validate_json(body)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from exc
    return [
        (e.carrier, e.waybill, e.time, e.status, e.location, e.description, text)
        for e, (_, text) in zip(batch.events, event_records(body), strict=True)
    ]


async def _await_verdicts(
    runtime: Runtime, caller: Principal, receipt_id: int, wait: float
) -> ReceiptView:
    """The receipt once judged, or as it stands after ``wait`` seconds. A caller that waits
    helps: it drains batches itself meanwhile, so it never waits on a worker that is not
    running (and where workers run, it claims records they have not)."""
    give_up = time.monotonic() + wait

    def look() -> ReceiptView:
        with unit_of_work(runtime.sessions) as session:
            return read_receipt(session, receipt_id, scope_for(session, caller))

    while True:
        view = await run_in_threadpool(look)
        if view.complete or time.monotonic() >= give_up:
            return view
        drained = await run_in_threadpool(
            lambda: drain_inbox(runtime.sessions, runtime.clock.now(), runtime.rules, max_batches=1)
        )
        if not drained.records:
            await asyncio.sleep(IDLE_POLL_SECONDS)


def _receipt(view: ReceiptView) -> TrackingReceiptPublic:
    return TrackingReceiptPublic(
        receipt_id=view.id,
        received=view.accepted,
        judged=view.judged,
        stored=view.stored,
        duplicates=view.duplicates,
        unmatched=view.unmatched,
        unknown_carriers=view.unknown_carriers,
        judged_at=view.judged_at,
        violations=view.violations,
        dead_letters=view.dead_letters,
    )


@router.get(
    "/tracking/receipts/{receipt_id}",
    response_model=TrackingReceiptPublic,
    responses={401: {"model": ErrorPublic}, 404: {"model": ErrorPublic}},
)
def tracking_receipt(receipt_id: DbId, caller: CallerDep, db: DbDep) -> TrackingReceiptPublic:
    """What became of an accepted delivery: accepted and judged counts, the violations it
    produced (of the caller's shops); another tenant's receipt is 404."""
    return _receipt(read_receipt(db, receipt_id, scope_for(db, caller)))


def _integration(row: FeedIntegration) -> FeedIntegrationPublic:
    return FeedIntegrationPublic(
        id=row.id,
        kind=row.kind,
        name=row.name,
        account_id=row.account_id,
        is_active=row.is_active,
        created_at=row.created_at,
        callback_path=CALLBACKS[row.kind],
        callback_url=row.callback_url,
        api_url=row.api_url,
        subscribes=row.callback_url is not None,
    )


@router.get(
    "/feeds",
    tags=["feeds"],
    response_model=list[FeedIntegrationPublic],
    responses={401: {"model": ErrorPublic}, 403: {"model": ErrorPublic}},
)
def feeds(caller: CallerDep, db: DbDep) -> list[FeedIntegrationPublic]:
    """Configured 快递100 / 快递鸟 integrations (administrators only); never their secrets."""
    if caller.role is not Role.ADMIN:
        raise PermissionDenied("only administrators may list feed integrations")
    return [_integration(r) for r in list_integrations(db)]


@router.post(
    "/feeds",
    tags=["feeds"],
    response_model=FeedIntegrationPublic,
    status_code=status.HTTP_201_CREATED,
    responses={
        401: {"model": ErrorPublic},
        403: {"model": ErrorPublic},
        409: {"model": ErrorPublic},
        422: {"model": ErrorPublic},
    },
)
def create_feed(
    body: FeedIntegrationCreate, caller: CallerDep, db: DbDep, runtime: RuntimeDep
) -> FeedIntegrationPublic:
    """Register a 快递100 salt or 快递鸟 AppKey; pushes signed with it are then accepted. With a
    ``callback_url`` (and 快递100's ``subscribe_key``) shops can subscribe their waybills at it."""
    if body.api_url and body.api_url.startswith(("http://", "https://")):
        try:  # refused now, not at the first subscription (a bad URL is refused below)
            runtime.egress.check_url(body.api_url)
        except EgressRefused as exc:
            raise InvalidInput(str(exc), field="api_url", reason="egress_refused") from exc
        except httpx.InvalidURL as exc:
            raise InvalidInput(f"not a valid URL: {exc}", field="api_url") from exc
    row = create_integration(
        db,
        caller,
        kind=body.kind,
        name=body.name,
        secret=body.secret,
        account_id=body.account_id,
        now=runtime.clock.now(),
        sealer=runtime.platforms.box,
        subscribe_key=body.subscribe_key,
        callback_url=body.callback_url,
        api_url=body.api_url,
    )
    return _integration(row)
