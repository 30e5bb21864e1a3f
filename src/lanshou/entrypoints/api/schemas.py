"""Response and request schemas of the JSON API: money as "12.30", times ISO 8601 with +08:00."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, PlainSerializer

from lanshou.domain.money import format_yuan
from lanshou.entrypoints.params import DbId
from lanshou.i18n.format import DISPLAY_TZ


def _iso(value: datetime) -> str:
    return value.astimezone(DISPLAY_TZ).isoformat()


Timestamp = Annotated[datetime, PlainSerializer(_iso, return_type=str)]
Money = Annotated[str, Field(pattern=r"^-?\d+\.\d{2}$", examples=["12.30"])]


def money(fen: int) -> str:
    return format_yuan(fen)


class HealthPublic(BaseModel):
    status: Literal["ok", "degraded"]
    database: Literal["ok", "unavailable"]
    version: str


class TokenRequest(BaseModel):
    username: str
    password: str


class TokenPublic(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105
    expires_in: int = Field(description="seconds until the token expires")


class ShipmentBrief(BaseModel):
    id: int
    carrier_code: str | None
    waybill_no: str | None
    status: str


class OrderPublic(BaseModel):
    id: int
    external_id: str
    shop_id: int
    shop_name: str
    status: str
    paid_at: Timestamp
    amount: Money
    shipments: list[ShipmentBrief]
    next_deadline_at: Timestamp | None


class OrderListPublic(BaseModel):
    items: list[OrderPublic]
    total: int
    page: int
    per_page: int
    pages: int


class OrderItemPublic(BaseModel):
    sku: str
    title: str
    unit_price: Money
    quantity: int


class TrackingEventPublic(BaseModel):
    status: str
    event_time: Timestamp
    location: str | None
    description: str | None
    source: str


class CourierPublic(BaseModel):
    name: str
    phone: str | None


class ShipmentPublic(BaseModel):
    id: int
    carrier_code: str | None
    carrier_name: str | None
    outlet_name: str | None
    courier: CourierPublic | None
    waybill_no: str | None
    status: str
    shipped_at: Timestamp | None
    picked_up_at: Timestamp | None
    next_deadline_at: Timestamp | None
    tracking: list[TrackingEventPublic] = Field(description="newest first")


class OrderDetailPublic(BaseModel):
    id: int
    external_id: str
    platform: str
    shop_id: int
    shop_name: str
    status: str
    paid_at: Timestamp
    amount: Money
    buyer_province: str | None
    buyer_city: str | None
    exp_ship_time: Timestamp | None
    items: list[OrderItemPublic]
    shipments: list[ShipmentPublic]


class IntegrationTokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=128)
    user_id: DbId | None = Field(default=None, description="whose rights it carries; default you")
    scopes: list[str] | None = Field(
        default=None,
        max_length=8,
        description="limit the token to these scopes (tracking:write, shipments:write, "
        "orders:read); left out: every route its owner's role allows",
    )


class IntegrationTokenPublic(BaseModel):
    id: int
    name: str
    username: str
    scopes: list[str] | None = Field(description="the scopes it is limited to; null: none")
    created_at: Timestamp
    last_used_at: Timestamp | None
    revoked_at: Timestamp | None


class IntegrationTokenCreated(IntegrationTokenPublic):
    token: str = Field(description="shown once; only its hash is stored")


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorPublic(BaseModel):
    error: ErrorBody
