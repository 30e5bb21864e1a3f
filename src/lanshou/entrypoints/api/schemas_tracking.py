"""Schemas of the tracking, feed-integration and shipment endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, NotRequired

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, field_validator
from typing_extensions import TypedDict

from lanshou.entrypoints.api.schemas import Timestamp
from lanshou.entrypoints.params import EARLIEST, LATEST, DbId, Instant
from lanshou.feeds import plain_batch

MAX_EVENTS = 10_000
Status = Literal[
    "created",
    "awaiting_pickup",
    "picked_up",
    "in_transit",
    "out_for_delivery",
    "delivered",
    "returned",
    "exception",
]


class TrackingEventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    carrier: Annotated[str, Field(min_length=1, max_length=64, examples=["顺丰", "ZTO"])]
    waybill: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^\s*[0-9A-Za-z-]+\s*$")]
    time: Annotated[Instant, Field(examples=["2026-11-01T14:05:00+08:00"])]
    status: Status
    location: Annotated[str | None, Field(max_length=128)] = None
    description: Annotated[str | None, Field(max_length=2000)] = None


class TrackingBatchIn(BaseModel):
    events: list[TrackingEventIn]

    @field_validator("events", mode="before")
    @classmethod
    def _at_most(cls, value: Any) -> Any:
        if isinstance(value, list) and len(value) > MAX_EVENTS:
            raise ValueError(
                f"at most {MAX_EVENTS} events per request (got {len(value)}); split the batch"
            )
        return value


class _PlainEvent(TypedDict):
    """:class:`TrackingEventIn` for :func:`plain_events`: the same fields and bounds, checked
    without a Python function (the time's range by pydantic's own comparison, where
    ``Instant`` calls a function to word its refusal) and kept as a dict, not an object."""

    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]

    carrier: Annotated[str, Field(min_length=1, max_length=64)]
    waybill: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^\s*[0-9A-Za-z-]+\s*$")]
    time: Annotated[AwareDatetime, Field(ge=EARLIEST, lt=LATEST)]
    status: Status
    location: NotRequired[Annotated[str | None, Field(max_length=128)]]
    description: NotRequired[Annotated[str | None, Field(max_length=2000)]]


_plain_events = TypeAdapter(list[_PlainEvent])

BatchRecord = tuple[str, str, datetime, str, str | None, str | None, str]
"""One event of a valid batch: carrier, waybill, time, status, location, description as
:class:`TrackingEventIn` reads them, and the event object's JSON text as the body spells it."""


def plain_events(body: bytes) -> list[BatchRecord] | None:
    """The events of a valid batch in one pass over the body (parsed once, validated as
    dicts, the text of each object sliced out of the body), or None: not in the plain shape
    (:func:`~lanshou.feeds.plain_batch`), or not valid. On None the caller validates the body
    with :class:`TrackingBatchIn`, which refuses it in its own words (or, for a valid body of
    another shape, reads it). Whatever this accepts, :class:`TrackingBatchIn` accepts with the
    same values (tests/unit/api/test_plain_events.py compares the two)."""
    records = plain_batch(body)
    if records is None or len(records) > MAX_EVENTS:
        return None
    try:
        events = _plain_events.validate_python([obj for obj, _ in records])
    except ValueError:  # pydantic's ValidationError
        return None
    return [
        (
            e["carrier"],
            e["waybill"],
            e["time"],
            e["status"],
            e.get("location"),
            e.get("description"),
            text,
        )
        for e, (_, text) in zip(events, records, strict=True)
    ]


class TrackingReceiptPublic(BaseModel):
    """What became of an accepted delivery. The counts of storing are null until every record
    is judged (``judged`` = ``received``)."""

    receipt_id: int
    received: int = Field(description="records accepted into the inbox")
    judged: int = Field(description="records folded into their shipments and judged so far")
    stored: int | None = Field(description="new events stored; null until judged")
    duplicates: int | None = Field(
        description="already stored, or repeated within this batch; null until judged"
    )
    unmatched: int | None = Field(
        description="stored without a shipment (attached when marked shipped); null until judged"
    )
    unknown_carriers: int = Field(description="events whose carrier name nobody knows")
    judged_at: Timestamp | None = Field(description="when its last record was judged")
    violations: list[int] = Field(
        description="ids of the violations its events produced (of the caller's shops)"
    )
    dead_letters: int = Field(
        default=0,
        description="records that failed when judged and were set aside for an administrator "
        "(not counted in judged; the receipt is complete once they are retried and judged)",
    )


class TrackingBatchResult(TrackingReceiptPublic):
    unknown_carrier_names: list[str]


class Kuaidi100Ack(BaseModel):
    """快递100's own answer format: ``returnCode`` 200 ends the push, anything else is retried."""

    result: bool
    return_code: str = Field(alias="returnCode", examples=["200", "400", "500"])
    message: str


class KdniaoAck(BaseModel):
    """快递鸟's own answer format; ``Success`` false makes it push again."""

    business_id: str = Field(alias="EBusinessID")
    update_time: str = Field(alias="UpdateTime", examples=["2026-11-01 14:05:00"])
    success: bool = Field(alias="Success")
    reason: str = Field(alias="Reason")


class FeedIntegrationCreate(BaseModel):
    kind: Literal["kuaidi100", "kdniao", "douyin"]
    name: Annotated[str, Field(min_length=1, max_length=128)]
    secret: Annotated[
        str,
        Field(
            min_length=6,
            max_length=128,
            description=(
                "快递100 salt, 快递鸟 AppKey, or (douyin) the key of lanshou's route callback "
                "token; never shown again"
            ),
        ),
    ]
    account_id: Annotated[
        str | None, Field(max_length=64, description="快递鸟 EBusinessID / 抖店 app key (required)")
    ] = None
    subscribe_key: Annotated[
        str | None,
        Field(max_length=128, description="快递100 authorisation key, to subscribe; never shown"),
    ] = None
    callback_url: Annotated[
        str | None,
        Field(
            max_length=512,
            description="the public URL of this server's push endpoint; set it to subscribe",
        ),
    ] = None
    api_url: Annotated[
        str | None,
        Field(max_length=512, description="another API address (a sandbox); default theirs"),
    ] = None


class FeedIntegrationPublic(BaseModel):
    id: int
    kind: str
    name: str
    account_id: str | None
    is_active: bool
    created_at: Timestamp
    callback_path: str
    callback_url: str | None
    api_url: str | None
    subscribes: bool


class ShopTrackingFeedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    integration_id: DbId | None = Field(description="the account to subscribe at; null: none")
    sender_phone: str | None = Field(
        default=None, max_length=32, description="顺丰 and 中通 need a phone (its last 4 digits)"
    )


class ShopTrackingFeedPublic(BaseModel):
    shop_id: int
    integration_id: int | None
    sender_phone_set: bool


class TrackingSubscriptionPublic(BaseModel):
    id: int
    shop_name: str
    order_external_id: str
    waybill_no: str
    carrier_code: str | None
    integration_name: str
    state: str
    attempts: int
    resubscriptions: int
    next_attempt_at: Timestamp | None
    last_error: str | None
    stalled_since: Timestamp | None
    resubscribe_at: Timestamp | None


class ShipmentMarkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_id: DbId | None = Field(default=None, description="lanshou's order id")
    external_id: str | None = Field(
        default=None, max_length=64, description="the platform's order number instead of order_id"
    )
    shop_id: DbId | None = Field(default=None, description="with external_id if it is ambiguous")
    carrier: Annotated[str, Field(min_length=1, max_length=64, examples=["中通"])]
    waybill: Annotated[str, Field(min_length=1, max_length=64)]
    shipped_at: Instant


class ShipmentMarkedPublic(BaseModel):
    shipment_id: int
    order_id: int
    carrier_code: str | None
    carrier_known: bool
    waybill_no: str
    shipped_at: Timestamp
    status: str
    picked_up_at: Timestamp | None
    attached_events: int
    violations_new: int
