"""Alert channels and subscriptions per shop; only admins and shop owners manage them.

Secrets are write-only: views carry ``has_secret`` and never the value.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from lanshou import audit
from lanshou.adapters.db.models import Shop
from lanshou.adapters.db.models.alerts import (
    AlertChannel,
    AlertDelivery,
    AlertOutbox,
    AlertSubscription,
)
from lanshou.adapters.notify import CHANNEL_KINDS, EgressPolicy, EgressRefused
from lanshou.alerts.kinds import EVENT_KINDS
from lanshou.domain.roles import Role
from lanshou.errors import InvalidInput, NotFound, PermissionDenied
from lanshou.identity import Principal, Scope

CONFIG_KEYS = {
    "dingtalk": ("url",),
    "feishu": ("url",),
    "wecom": ("url", "msgtype"),
    "webhook": ("url",),
    "email": ("host", "port", "sender", "recipients", "username", "starttls"),
}


@dataclass(frozen=True)
class ChannelView:
    id: int
    shop_id: int
    shop_name: str
    kind: str
    name: str
    config: dict[str, Any]
    has_secret: bool
    is_active: bool
    subscriptions: frozenset[tuple[str, int]]


def may_manage(principal: Principal) -> bool:
    return principal.role in (Role.ADMIN, Role.MERCHANT_OWNER)


def _check_shop(session: Session, scope: Scope, shop_id: int) -> None:
    if (scope.shop_ids is not None and shop_id not in scope.shop_ids) or session.get(
        Shop, shop_id
    ) is None:
        raise NotFound(f"shop {shop_id} not found")


def _check_egress(egress: EgressPolicy, kind: str, clean: dict[str, Any]) -> None:
    """Refuse a channel that would make the server connect to itself or a private network.

    Checked again, after a fresh DNS look-up, at every send; this is so the owner hears it now.
    """
    try:
        if kind == "email":
            egress.check_host(str(clean["host"]), int(clean["port"]))
        else:
            egress.check_url(str(clean["url"]))
    except EgressRefused as exc:
        raise InvalidInput(
            str(exc),
            field="config",
            reason="egress_refused",
            host=exc.host,
            address=exc.address,
            kind=exc.kind,
        ) from exc
    except httpx.InvalidURL as exc:
        raise InvalidInput(f"not a valid URL: {exc}", field="config", reason="url_invalid") from exc


def _clean_config(kind: str, config: dict[str, Any], egress: EgressPolicy) -> dict[str, Any]:
    clean = {k: v for k, v in config.items() if k in CONFIG_KEYS[kind] and v not in (None, "")}
    if kind == "email":
        recipients = clean.get("recipients", [])
        if isinstance(recipients, str):
            recipients = [r.strip() for r in recipients.replace(";", ",").split(",")]
        clean["recipients"] = [r for r in recipients if r]
        if (
            not clean.get("host")
            or not clean["recipients"]
            or "@" not in str(clean.get("sender", ""))
        ):
            raise InvalidInput(
                "e-mail needs host, sender and recipients", field="config", reason="email_fields"
            )
        try:
            clean["port"] = int(clean.get("port", 25))
        except (TypeError, ValueError) as exc:
            raise InvalidInput("port must be a number", field="config", reason="port") from exc
        clean["starttls"] = clean.get("starttls") in (True, "1", "on", "true")
    else:
        if not str(clean.get("url", "")).startswith("https://"):
            raise InvalidInput(
                "the webhook URL must start with https://", field="config", reason="url_https"
            )
        if kind == "wecom" and clean.get("msgtype", "markdown") not in ("markdown", "text"):
            raise InvalidInput("msgtype must be markdown or text", field="config", reason="msgtype")
    _check_egress(egress, kind, clean)
    return clean


def create_channel(
    session: Session,
    caller: Principal,
    scope: Scope,
    *,
    shop_id: int,
    kind: str,
    name: str,
    config: dict[str, Any],
    secret: str | None,
    now: datetime,
    egress: EgressPolicy | None = None,
) -> AlertChannel:
    """Add a channel to a shop (admins and the shop's owners only) that reaches only where
    ``egress`` allows (public addresses unless the operator allow-listed more)."""
    if not may_manage(caller):
        raise PermissionDenied("only admins and shop owners manage alert channels")
    _check_shop(session, scope, shop_id)
    if kind not in CHANNEL_KINDS:
        raise InvalidInput(f"unknown channel kind {kind!r}", field="kind", reason="kind")
    name = name.strip()
    if not name or len(name) > 128:
        raise InvalidInput("name must be 1 to 128 characters", field="name", reason="name")
    if kind == "webhook" and not secret:
        raise InvalidInput("a signed webhook needs a secret", field="secret", reason="secret")
    clean = _clean_config(kind, config, egress or EgressPolicy())
    row = AlertChannel(
        shop_id=shop_id,
        kind=kind,
        name=name,
        config=clean,
        secret=secret or None,
        is_active=True,
        created_by=caller.user_id,
        created_at=now,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        entity_type="alert_channel",
        entity_id=row.id,
        action="created",
        actor=caller.username,
        at=now,
        data={"shop_id": shop_id, "kind": kind, "name": name},
    )
    return row


def _channel(session: Session, caller: Principal, scope: Scope, channel_id: int) -> AlertChannel:
    row = session.get(AlertChannel, channel_id)
    if row is None or (scope.shop_ids is not None and row.shop_id not in scope.shop_ids):
        raise NotFound(f"channel {channel_id} not found")
    if not may_manage(caller):
        raise PermissionDenied("only admins and shop owners manage alert channels")
    return row


def set_subscriptions(
    session: Session,
    caller: Principal,
    scope: Scope,
    channel_id: int,
    wanted: Iterable[tuple[str, int]],
    now: datetime,
) -> None:
    """Replace what a channel receives: (event kind, lead minutes; 0 = every lead time)."""
    row = _channel(session, caller, scope, channel_id)
    pairs = sorted(set(wanted))
    for kind, lead in pairs:
        if kind not in EVENT_KINDS or lead < 0 or (lead and kind != "at_risk"):
            raise InvalidInput(f"unknown subscription {kind}:{lead}", field="subscriptions")
    session.execute(delete(AlertSubscription).where(AlertSubscription.channel_id == row.id))
    session.add_all(
        AlertSubscription(
            shop_id=row.shop_id,
            channel_id=row.id,
            event_kind=k,
            lead_minutes=lead,
            created_by=caller.user_id,
            created_at=now,
        )
        for k, lead in pairs
    )
    session.flush()
    audit.record(
        session,
        entity_type="alert_channel",
        entity_id=row.id,
        action="subscriptions_set",
        actor=caller.username,
        at=now,
        data={"subscriptions": [f"{k}:{lead}" for k, lead in pairs]},
    )


def set_active(
    session: Session, caller: Principal, scope: Scope, channel_id: int, active: bool, now: datetime
) -> None:
    row = _channel(session, caller, scope, channel_id)
    row.is_active = active
    audit.record(
        session,
        entity_type="alert_channel",
        entity_id=row.id,
        action="enabled" if active else "disabled",
        actor=caller.username,
        at=now,
    )


def channel_for_send(
    session: Session, caller: Principal, scope: Scope, channel_id: int
) -> AlertChannel:
    """A channel the caller may test-send through."""
    return _channel(session, caller, scope, channel_id)


def list_channels(session: Session, scope: Scope, shop_id: int | None = None) -> list[ChannelView]:
    q = (
        select(AlertChannel, Shop.name)
        .join(Shop, Shop.id == AlertChannel.shop_id)
        .order_by(AlertChannel.shop_id, AlertChannel.id)
    )
    if scope.shop_ids is not None:
        q = q.where(AlertChannel.shop_id.in_(sorted(scope.shop_ids) or [-1]))
    if shop_id is not None:
        q = q.where(AlertChannel.shop_id == shop_id)
    rows = session.execute(q).all()
    subs: dict[int, set[tuple[str, int]]] = {}
    ids = [c.id for c, _ in rows]
    if ids:
        for cid, kind, lead in session.execute(
            select(
                AlertSubscription.channel_id,
                AlertSubscription.event_kind,
                AlertSubscription.lead_minutes,
            ).where(AlertSubscription.channel_id.in_(ids))
        ):
            subs.setdefault(cid, set()).add((kind, lead))
    return [
        ChannelView(
            c.id,
            c.shop_id,
            shop,
            c.kind,
            c.name,
            dict(c.config),
            bool(c.secret),
            c.is_active,
            frozenset(subs.get(c.id, set())),
        )
        for c, shop in rows
    ]


@dataclass(frozen=True)
class OutboxView:
    id: int
    shop_id: int
    channel_name: str
    channel_kind: str
    event_kind: str
    title: str
    state: str
    critical: bool
    attempts: int
    max_attempts: int
    created_at: datetime
    deferred_until: datetime | None
    next_attempt_at: datetime
    sent_at: datetime | None
    last_error: str | None


def list_deliveries(
    session: Session, scope: Scope, *, state: str | None = None, limit: int = 200
) -> list[OutboxView]:
    """The delivery log: newest first, failures with their last error."""
    q = (
        select(AlertOutbox, AlertChannel.name, AlertChannel.kind)
        .join(AlertChannel, AlertChannel.id == AlertOutbox.channel_id)
        .order_by(AlertOutbox.created_at.desc(), AlertOutbox.id.desc())
        .limit(limit)
    )
    if scope.shop_ids is not None:
        q = q.where(AlertOutbox.shop_id.in_(sorted(scope.shop_ids) or [-1]))
    if state:
        q = q.where(AlertOutbox.state == state)
    return [
        OutboxView(
            o.id,
            o.shop_id,
            name,
            kind,
            o.event_kind,
            o.title,
            o.state,
            o.critical,
            o.attempts,
            o.max_attempts,
            o.created_at,
            o.deferred_until,
            o.next_attempt_at,
            o.sent_at,
            o.last_error,
        )
        for o, name, kind in session.execute(q).all()
    ]


def list_attempts(session: Session, scope: Scope, *, limit: int = 100) -> list[AlertDelivery]:
    """Every attempt, including test sends and reminder SMS (which have no outbox row)."""
    q = select(AlertDelivery).order_by(AlertDelivery.at.desc(), AlertDelivery.id.desc())
    if scope.shop_ids is not None:
        q = q.where(AlertDelivery.shop_id.in_(sorted(scope.shop_ids) or [-1]))
    return list(session.execute(q.limit(limit)).scalars())


def manageable_shops(session: Session, scope: Scope) -> list[tuple[int, str]]:
    q = select(Shop.id, Shop.name).order_by(Shop.id)
    if scope.shop_ids is not None:
        q = q.where(Shop.id.in_(sorted(scope.shop_ids) or [-1]))
    return [(i, n) for i, n in session.execute(q).all()]
