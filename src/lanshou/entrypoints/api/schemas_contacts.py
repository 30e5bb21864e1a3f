"""Contact-log schemas: what a client sends to log a contact, and an entry as returned."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from lanshou.entrypoints.api.schemas import Timestamp
from lanshou.entrypoints.params import Instant


class ContactCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    counterpart_kind: str = Field(examples=["courier"])
    counterpart_name: str = Field("", max_length=128)
    channel: str = Field(examples=["phone"])
    summary: str = Field(min_length=1, max_length=2000)
    occurred_at: Instant | None = Field(
        None, description="when the contact happened, with its offset; by default now"
    )


class ContactPublic(BaseModel):
    id: int
    shipment_id: int | None
    occurred_at: Timestamp  # when it happened
    recorded_at: Timestamp  # when it was logged
    counterpart_kind: str
    counterpart_name: str
    channel: str
    summary: str
    logged_by: str | None
