"""Users, passwords, login throttling, browser sessions and API tokens.

Secrets never reach the database in clear: passwords are argon2 hashes; session cookies and bearer
tokens are random strings of which only the SHA-256 is stored, so a database leak yields nothing
that logs anyone in.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from lanshou import audit
from lanshou.adapters.db.models import (
    ApiToken,
    Shop,
    ShopMembership,
    User,
    WebSession,
)
from lanshou.domain.roles import Role
from lanshou.errors import (
    AuthenticationFailed,
    Conflict,
    InvalidInput,
    LoginThrottled,
    NotFound,
    PermissionDenied,
)
from lanshou.identity.login_throttle import (
    ThrottlePolicy,
    clear_own_failures,
    forget_attempt,
    record_attempt,
    seconds_to_wait,
)
from lanshou.identity.token_scopes import parse_scopes, scopes_of

__all__ = [
    "GENERIC_LOGIN_ERROR",
    "Principal",
    "ThrottlePolicy",
    "authenticate",
    "create_integration_token",
    "create_user",
    "end_session",
    "hash_password",
    "issue_session_token",
    "list_tokens",
    "list_users",
    "principal_for_api_token",
    "principal_for_session",
    "revoke_token",
    "set_locale",
    "start_session",
    "verify_password",
]

GENERIC_LOGIN_ERROR = "invalid username or password"
SUPPORTED_LOCALES = ("zh_CN", "en")

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when the username is unknown, so both failures take the same time.

    Made on first use, not at import: an argon2 hash costs every process start (each CLI
    command) about 0.2 s.
    """
    return _hasher.hash("lanshou-timing-equaliser")


@dataclass(frozen=True)
class Principal:
    """Who is acting: a plain snapshot of the user, safe to keep after the session closes."""

    user_id: int
    username: str
    display_name: str
    role: Role
    locale: str | None
    csrf_token: str = ""  # the browser session's token; empty for bearer-token callers
    # The API scopes an integration token is limited to; None: all its role may do.
    scopes: frozenset[str] | None = None


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _principal(user: User, csrf_token: str = "", scopes: frozenset[str] | None = None) -> Principal:
    return Principal(
        user.id, user.username, user.display_name, Role(user.role), user.locale, csrf_token, scopes
    )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def create_user(
    session: Session,
    username: str,
    password: str,
    role: Role | str,
    display_name: str,
    shop_ids: Iterable[int],
    now: datetime,
) -> User:
    """Add a user with a hashed password and the shops a merchant may see."""
    username = username.strip()
    if not username:
        raise InvalidInput("username must not be empty", field="username")
    if len(password) < 8:
        raise InvalidInput("password must be at least 8 characters", field="password")
    try:
        role = Role(role)
    except ValueError as exc:
        raise InvalidInput(f"unknown role {role!r}", field="role") from exc
    if session.execute(select(User.id).where(User.username == username)).first():
        raise Conflict(f"user {username!r} already exists", field="username")
    user = User(
        username=username,
        display_name=display_name or username,
        role=role.value,
        password_hash=hash_password(password),
        created_at=now,
        is_active=True,
    )
    session.add(user)
    session.flush()
    wanted = sorted(set(shop_ids))
    if wanted:
        found = set(session.execute(select(Shop.id).where(Shop.id.in_(wanted))).scalars())
        if missing := [s for s in wanted if s not in found]:
            raise InvalidInput(f"unknown shop ids {missing}", field="shop_ids")
        session.add_all(ShopMembership(user_id=user.id, shop_id=s) for s in wanted)
        session.flush()
    return user


def authenticate(
    session: Session,
    username: str,
    password: str,
    now: datetime,
    remote_addr: str | None,
    throttle: ThrottlePolicy | None = None,
) -> Principal:
    """Check a password; refuse with :class:`LoginThrottled` while the account or the client
    address must still wait after recent failures (``login_throttle``).

    The attempt and a failure are committed before raising: the caller's unit of work rolls
    back on the exception, and a failed guess must still count against the next one.
    """
    username = username.strip()[:64]
    attempt = record_attempt(session, username, remote_addr, now)
    wait = seconds_to_wait(session, attempt, throttle or ThrottlePolicy(), now)
    if wait:
        forget_attempt(session, attempt)
        raise LoginThrottled(
            f"too many failed logins; try again in {wait} seconds", retry_after_seconds=wait
        )
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        verify_password(_dummy_hash(), password)
        ok = False
    else:
        ok = verify_password(user.password_hash, password) and user.is_active
    if not ok or user is None:
        raise AuthenticationFailed(GENERIC_LOGIN_ERROR)  # the attempt's row stays: a failure
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    clear_own_failures(session, attempt)
    return _principal(user)


def start_session(
    session: Session, principal: Principal, now: datetime, hours: int
) -> tuple[str, Principal]:
    """Open a browser session; return the cookie value (shown once) and the principal with CSRF."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            token_hash=_sha256(token),
            user_id=principal.user_id,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    session.flush()
    return token, Principal(
        principal.user_id,
        principal.username,
        principal.display_name,
        principal.role,
        principal.locale,
        csrf,
    )


def principal_for_session(session: Session, token: str, now: datetime) -> Principal | None:
    """The user behind a session cookie, or None if it is unknown, expired or the user inactive."""
    row = session.execute(
        select(WebSession, User)
        .join(User, User.id == WebSession.user_id)
        .where(WebSession.token_hash == _sha256(token))
    ).first()
    if row is None:
        return None
    web_session, user = row
    if web_session.expires_at <= now or not user.is_active:
        return None
    return _principal(user, web_session.csrf_token)


def end_session(session: Session, token: str) -> None:
    """Log out: the row goes, so the cookie is worthless even if someone kept a copy."""
    session.execute(delete(WebSession).where(WebSession.token_hash == _sha256(token)))


def set_locale(session: Session, user_id: int, locale: str) -> None:
    if locale not in SUPPORTED_LOCALES:
        raise InvalidInput(f"unsupported locale {locale!r}", field="locale")
    user = session.get(User, user_id)
    if user is not None:
        user.locale = locale


def issue_session_token(session: Session, principal: Principal, now: datetime, hours: int) -> str:
    """A short-lived bearer token for API clients that log in with a password."""
    token = "lsk_" + secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            token_hash=_sha256(token),
            user_id=principal.user_id,
            name="login",
            kind="session",
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    session.flush()
    return token


def create_integration_token(
    session: Session,
    actor: Principal,
    name: str,
    now: datetime,
    user_id: int | None = None,
    scopes: Iterable[str] | None = None,
) -> tuple[str, ApiToken]:
    """Admins create long-lived tokens for integrations; the plain token is returned only here.
    With ``scopes`` the token may call only those scopes' API routes (``token_scopes``)."""
    if actor.role is not Role.ADMIN:
        raise PermissionDenied("only administrators may create integration tokens")
    name = name.strip()
    if not name or len(name) > 128:
        raise InvalidInput("token name must be 1–128 characters", field="name")
    stored_scopes = parse_scopes(scopes)
    owner = session.get(User, user_id or actor.user_id)
    if owner is None:
        raise NotFound(f"user {user_id} not found")
    token = "lsi_" + secrets.token_urlsafe(32)
    row = ApiToken(
        token_hash=_sha256(token),
        user_id=owner.id,
        name=name,
        kind="integration",
        scopes=stored_scopes,
        created_at=now,
        expires_at=None,
    )
    session.add(row)
    session.flush()
    data: dict[str, Any] = {"name": name, "user": owner.username}
    if stored_scopes is not None:
        data["scopes"] = stored_scopes.split()
    audit.record(
        session,
        entity_type="api_token",
        entity_id=row.id,
        action="created",
        actor=actor.username,
        at=now,
        data=data,
    )
    return token, row


def revoke_token(session: Session, actor: Principal, token_id: int, now: datetime) -> ApiToken:
    if actor.role is not Role.ADMIN:
        raise PermissionDenied("only administrators may revoke integration tokens")
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"token {token_id} not found")
    if row.revoked_at is None:
        row.revoked_at = now
        audit.record(
            session,
            entity_type="api_token",
            entity_id=row.id,
            action="revoked",
            actor=actor.username,
            at=now,
            data={"name": row.name},
        )
    return row


def list_tokens(session: Session, kind: str = "integration") -> list[tuple[ApiToken, str]]:
    """Tokens of one kind with their owner's username, newest first."""
    rows = session.execute(
        select(ApiToken, User.username)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.kind == kind)
        .order_by(ApiToken.id.desc())
    ).all()
    return [(token, username) for token, username in rows]


def principal_for_api_token(session: Session, token: str, now: datetime) -> Principal:
    """Resolve a bearer token, recording its use; any problem is the same 401."""
    row = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == _sha256(token))
    ).first()
    if row is None:
        raise AuthenticationFailed("invalid or expired token")
    api_token, user = row
    expired = api_token.expires_at is not None and api_token.expires_at <= now
    if expired or api_token.revoked_at is not None or not user.is_active:
        raise AuthenticationFailed("invalid or expired token")
    api_token.last_used_at = now
    return _principal(user, scopes=scopes_of(api_token.scopes))


@dataclass(frozen=True)
class UserSummary:
    id: int
    username: str
    display_name: str
    role: Role
    is_active: bool
    shop_names: list[str]


def list_users(session: Session) -> list[UserSummary]:
    """Every user with the shops they belong to, for the administrators' page."""
    shops: dict[int, list[str]] = {}
    for user_id, name in session.execute(
        select(ShopMembership.user_id, Shop.name)
        .join(Shop, Shop.id == ShopMembership.shop_id)
        .order_by(Shop.name)
    ).all():
        shops.setdefault(user_id, []).append(name)
    return [
        UserSummary(
            u.id, u.username, u.display_name, Role(u.role), u.is_active, shops.get(u.id, [])
        )
        for u in session.execute(select(User).order_by(User.username)).scalars()
    ]
