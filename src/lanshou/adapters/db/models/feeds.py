"""Carrier-feed integrations: one row per 快递100 or 快递鸟 account that pushes to us.

The secret (快递100 ``salt``, 快递鸟 ``AppKey``) must be kept in clear: verifying a push means
computing MD5 over the body *and* the secret, so a hash of it would be useless. Only
administrators can create rows, and the API never returns the secret.

An account lanshou also *subscribes* waybills at (migration 0012) carries what the subscription
request needs besides the secret: 快递100's authorisation ``key``, the callback URL the pushes
must come back to, and optionally another API address (a sandbox, a test double).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lanshou.adapters.db.models.base import Base, id_column


class FeedIntegration(Base):
    __tablename__ = "feed_integrations"
    __table_args__ = (UniqueConstraint("kind", "name"),)

    id: Mapped[int] = id_column()
    kind: Mapped[str] = mapped_column(String(16))  # kuaidi100 | kdniao
    name: Mapped[str] = mapped_column(String(128))
    secret: Mapped[str] = mapped_column(String(128))  # salt (快递100) or AppKey (快递鸟)
    account_id: Mapped[str | None] = mapped_column(String(64))  # 快递鸟 EBusinessID
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    # 快递100 授权key, a Fernet token (lanshou.platforms.SecretBox); before migration 0021 it
    # was held in clear in ``subscribe_key``, which 0025 sealed and dropped.
    subscribe_key_enc: Mapped[str | None] = mapped_column(Text)
    callback_url: Mapped[str | None] = mapped_column(String(512))
    api_url: Mapped[str | None] = mapped_column(String(512))  # None: the aggregator's own

    def __repr__(self) -> str:
        return (
            f"FeedIntegration(id={self.id!r}, kind={self.kind!r}, name={self.name!r}, "
            "secret=…, subscribe_key=…)"
        )
