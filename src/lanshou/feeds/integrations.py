"""Feed integrations: which 快递100 salts and 快递鸟 AppKeys may sign pushes to us, and what
lanshou needs to subscribe waybills at the same accounts (key, callback URL, API address).

A ``douyin`` integration is the 抖店 route source (``/logistics/registerPackageRoute``): its
``account_id`` is the 抖店 app key whose connected shops get their waybills registered, its
``callback_url`` is where lanshou asks the platform to push routes, and its secret keys the
token lanshou puts in that URL (:mod:`.douyin_route`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lanshou import audit
from lanshou.adapters.db.models.feeds import FeedIntegration
from lanshou.domain.roles import Role
from lanshou.errors import Conflict, InvalidInput, PermissionDenied
from lanshou.feeds.errors import SignatureInvalid
from lanshou.feeds.sealing import Sealer
from lanshou.identity import Principal

KINDS = ("kuaidi100", "kdniao", "douyin")
# Kinds whose account_id names the account and is required: 快递鸟 EBusinessID, 抖店 app key.
NEEDS_ACCOUNT = {"kdniao": ("快递鸟", "EBusinessID"), "douyin": ("抖店", "app key")}


def create_integration(
    session: Session,
    actor: Principal,
    *,
    kind: str,
    name: str,
    secret: str,
    account_id: str | None,
    now: datetime,
    sealer: Sealer,
    subscribe_key: str | None = None,
    callback_url: str | None = None,
    api_url: str | None = None,
) -> FeedIntegration:
    """Register an account that pushes to us (administrators only); audited, secrets never.
    With ``callback_url`` (and 快递100's ``subscribe_key``, stored sealed by ``sealer``)
    lanshou also subscribes at it."""
    if actor.role is not Role.ADMIN:
        raise PermissionDenied("only administrators may configure feed integrations")
    if kind not in KINDS:
        raise InvalidInput(f"unknown feed kind {kind!r}; known: {', '.join(KINDS)}", field="kind")
    name, secret = name.strip(), secret.strip()
    if not name or len(name) > 128:
        raise InvalidInput("name must be 1–128 characters", field="name")
    if len(secret) < 6 or len(secret) > 128:
        raise InvalidInput("secret must be 6–128 characters", field="secret")
    if kind in NEEDS_ACCOUNT and not (account_id or "").strip():
        name, what = NEEDS_ACCOUNT[kind]
        raise InvalidInput(f"{name} integrations need account_id ({what})", field="account_id")
    callback_url = _url(callback_url, "callback_url")
    api_url = _url(api_url, "api_url")
    subscribe_key = (subscribe_key or "").strip() or None
    if subscribe_key is not None and len(subscribe_key) > 128:
        raise InvalidInput("subscribe_key must be at most 128 characters", field="subscribe_key")
    exists = session.execute(
        select(FeedIntegration.id).where(FeedIntegration.kind == kind, FeedIntegration.name == name)
    ).first()
    if exists:
        raise Conflict(f"a {kind} integration named {name!r} already exists", field="name")
    row = FeedIntegration(
        kind=kind,
        name=name,
        secret=secret,
        account_id=(account_id or "").strip() or None,
        is_active=True,
        created_at=now,
        subscribe_key_enc=sealer.seal(subscribe_key) if subscribe_key is not None else None,
        callback_url=callback_url,
        api_url=api_url,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        entity_type="feed_integration",
        entity_id=row.id,
        action="created",
        actor=actor.username,
        at=now,
        data={
            "kind": kind,
            "name": name,
            "account_id": row.account_id,
            "subscribes": row.callback_url is not None,
            "api_url": row.api_url,
        },
    )
    return row


def _url(value: str | None, field: str) -> str | None:
    value = (value or "").strip() or None
    if value is None:
        return None
    if len(value) > 512 or not value.startswith(("https://", "http://")):
        raise InvalidInput(f"{field} must be an http(s) URL of at most 512 characters", field=field)
    return value


def list_integrations(session: Session) -> list[FeedIntegration]:
    return list(session.execute(select(FeedIntegration).order_by(FeedIntegration.id)).scalars())


def find_signer(
    session: Session, kind: str, signed_with: Callable[[str], bool], account_id: str | None = None
) -> FeedIntegration:
    """The active integration whose secret produced the signature, or :class:`SignatureInvalid`.

    Every candidate is checked (no early exit), so timing does not tell which one matched.
    """
    query = select(FeedIntegration).where(
        FeedIntegration.kind == kind, FeedIntegration.is_active.is_(True)
    )
    if account_id is not None:
        query = query.where(FeedIntegration.account_id == account_id)
    match = None
    for row in session.execute(query.order_by(FeedIntegration.id)).scalars():
        if signed_with(row.secret) and match is None:
            match = row
    if match is None:
        raise SignatureInvalid(f"{kind} push signature does not match any active integration")
    return match
