"""Platform connections as the API shows them (never a secret or a token), the push answer,
and the platform's answer to a shipment marked through the API."""

from __future__ import annotations

from pydantic import BaseModel

from lanshou.entrypoints.api.schemas import Timestamp
from lanshou.entrypoints.api.schemas_tracking import ShipmentMarkedPublic


class PlatformConnectionPublic(BaseModel):
    id: int
    shop_id: int
    shop_code: str
    platform: str
    gateway: str
    app_key: str
    external_shop_id: str
    state: str
    token_expires_at: Timestamp | None
    sync_cursor: Timestamp | None
    last_sync_at: Timestamp | None
    last_error: str | None


class PushAck(BaseModel):
    """What the 抖店 push expects back: code 0 and "success"; anything else is retried."""

    code: int
    msg: str


class PlatformAnswerPublic(BaseModel):
    platform: str
    accepted: bool
    code: str
    message: str
    company_code: str | None
    called_at: Timestamp


class ShipmentMarkedWithPlatform(ShipmentMarkedPublic):
    """``platform`` is the connected platform's answer to logisticsAdd (null: not connected)."""

    platform: PlatformAnswerPublic | None = None
