"""The platform's logistics company codes (``/order/logisticsCompanyList``) ↔ lanshou carriers.

The list answers ``[{id, name, code}]`` (zsmhub/doudian-sdk
``api/order_logisticsCompanyList/response/order_logisticsCompanyList_response.go``). Each code
is stored with the carrier its name or code resolves to (``orders.carriers``); a company nobody
knows keeps ``carrier_id`` empty and its orders' parcels count as an unknown carrier, as the
importers do.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lanshou.adapters.db.models import Carrier, PlatformCarrierCode
from lanshou.adapters.platforms.douyin import DouyinClient
from lanshou.orders import CarrierResolver, carrier_row

__all__ = [
    "carrier_codes",
    "codes_stale",
    "company_code_for",
    "fetch_company_list",
    "store_company_list",
]

LIST_PATH = "/order/logisticsCompanyList"
MAX_AGE = timedelta(days=7)


def codes_stale(session: Session, platform: str, now: datetime) -> bool:
    newest = session.execute(
        select(func.max(PlatformCarrierCode.updated_at)).where(
            PlatformCarrierCode.platform == platform
        )
    ).scalar_one()
    return newest is None or now - newest > MAX_AGE


def fetch_company_list(client: DouyinClient) -> list[dict[str, Any]]:
    data = client.call(LIST_PATH, {})
    return [c for c in (data or []) if isinstance(c, dict) and c.get("code")]


def store_company_list(
    session: Session, platform: str, companies: list[dict[str, Any]], now: datetime
) -> int:
    """Upsert the list; returns how many codes map to a lanshou carrier."""
    resolver = CarrierResolver.load(session)
    stored = {
        r.code: r
        for r in session.execute(
            select(PlatformCarrierCode).where(PlatformCarrierCode.platform == platform)
        ).scalars()
    }
    mapped = 0
    for company in companies:
        code, name = str(company["code"]), str(company.get("name") or company["code"])
        lanshou_code = resolver.code(name) or resolver.code(code)
        carrier_id = carrier_row(session, lanshou_code).id if lanshou_code else None
        mapped += carrier_id is not None
        row = stored.get(code)
        if row is None:
            row = PlatformCarrierCode(platform=platform, code=code)
            session.add(row)
        row.name = name[:128]
        row.platform_company_id = (
            int(company["id"]) if str(company.get("id", "")).isdigit() else None
        )
        row.carrier_id = carrier_id
        row.updated_at = now
    session.flush()
    return mapped


def carrier_codes(session: Session, platform: str) -> dict[str, str]:
    """Platform company code → lanshou carrier code, for the codes that map to one."""
    return dict(
        session.execute(
            select(PlatformCarrierCode.code, Carrier.code)
            .join(Carrier, Carrier.id == PlatformCarrierCode.carrier_id)
            .where(PlatformCarrierCode.platform == platform)
        ).all()
    )


def company_code_for(session: Session, platform: str, carrier_id: int | None) -> str | None:
    """The platform's code for a lanshou carrier (the lowest code if several map to it)."""
    if carrier_id is None:
        return None
    return session.execute(
        select(PlatformCarrierCode.code)
        .where(
            PlatformCarrierCode.platform == platform,
            PlatformCarrierCode.carrier_id == carrier_id,
        )
        .order_by(PlatformCarrierCode.code)
        .limit(1)
    ).scalar_one_or_none()
