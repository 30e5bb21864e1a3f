"""The demo's login accounts, created only in development mode."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from lanshou.adapters.db.models import ShopMembership, User
from lanshou.demo.logins import DEMO_PASSWORD
from lanshou.domain.roles import Role
from lanshou.identity import hash_password


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: Role
    display_name: str
    shops: tuple[str, ...]  # shop names a merchant user may see; empty for platform roles


# username, role, display name, shop codes
DEMO_USERS: tuple[tuple[str, Role, str, tuple[str, ...]], ...] = (
    ("merchant", Role.MERCHANT_OWNER, "陈晓雯（店主）", ("demo-dy-hemu", "demo-dy-yuewei")),
    ("staff", Role.MERCHANT_STAFF, "周小凯（发货员）", ("demo-dy-hemu",)),
    ("cs", Role.CS_AGENT, "李娜（平台客服）", ()),
    ("reviewer", Role.REVIEWER, "王磊（审核员）", ()),
    ("admin", Role.ADMIN, "系统管理员", ()),
)


def upsert_demo_users(
    session: Session, shops: dict[str, tuple[int, str]], now: datetime
) -> list[DemoLogin]:
    """Create or reset the demo accounts and their shop memberships (shops: code -> id, name)."""
    logins = []
    for username, role, display_name, shop_codes in DEMO_USERS:
        user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if user is None:
            user = User(username=username, created_at=now)
            session.add(user)
        user.display_name = display_name
        user.role = role.value
        user.password_hash = hash_password(DEMO_PASSWORD)
        user.locale = "zh_CN"
        user.is_active = True
        session.flush()
        session.execute(delete(ShopMembership).where(ShopMembership.user_id == user.id))
        for code in shop_codes:
            session.add(ShopMembership(user_id=user.id, shop_id=shops[code][0]))
        logins.append(
            DemoLogin(
                username, DEMO_PASSWORD, role, display_name, tuple(shops[c][1] for c in shop_codes)
            )
        )
    session.flush()
    return logins
