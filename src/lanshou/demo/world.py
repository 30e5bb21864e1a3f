"""The demo's reference data: platforms, shops, carriers, outlets with their pickup behaviour,
couriers and outage days. Small tables, written through the ORM.

Every outlet gets a pickup-latency profile: a lognormal body around the carrier's typical time
(SF and JD fast, the 通达系 and J&T slower), scaled up for the few bad outlets, and a Pareto tail
(parcels forgotten for a day or more). Outage days are local dates on which an outlet picks up
nothing at all.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lanshou.adapters.db.models import Carrier, Courier, Outlet, Platform, Shop
from lanshou.demo.catalogue import CARRIERS, ORIGIN_CITIES, PLATFORMS, SHOPS, CarrierSpec, CitySpec
from lanshou.demo.places import GIVEN_NAMES, MOBILE_PREFIXES, SURNAMES

LOCAL_OFFSET = 8 * 3600  # China Standard Time, no daylight saving
COURIERS_PER_OUTLET = 3
PRIMARY_OUTLET_SHARE = 0.75


@dataclass
class CourierInfo:
    id: int
    name: str
    pickup_description: str


@dataclass
class OutletProfile:
    index: int
    id: int
    code: str
    name: str
    short: str  # 杭州余杭网点
    carrier: CarrierSpec
    carrier_id: int
    city: CitySpec
    quality: str  # good | normal | bad
    mu: float  # lognormal body, log-seconds
    sigma: float
    tail_p: float
    tail_scale: float  # seconds, Pareto x_m
    couriers: list[CourierInfo] = field(default_factory=list)


@dataclass
class World:
    platform_ids: dict[str, int]
    shop_ids: list[int]
    carrier_ids: dict[str, int]
    outlets: list[OutletProfile]
    # per shop: [(outlet index, weight)] over its carriers and its city's outlets
    shop_outlets: list[list[tuple[int, float]]]
    outages: set[tuple[int, int]]  # (outlet index, local day number)


def local_day(ts: int) -> int:
    """Day number (days since 1970-01-01) of a UTC timestamp in China local time."""
    return (ts + LOCAL_OFFSET) // 86400


def day_to_date(day: int) -> date:
    return date(1970, 1, 1) + timedelta(days=day)


def outlet_code(carrier: CarrierSpec, city: CitySpec, n: int) -> str:
    return f"{carrier.code}-{city.code}-{n:02d}"


def demo_outlet_codes() -> list[tuple[str, str]]:
    """(carrier code, outlet code) of every outlet the demo owns; independent of the seed."""
    return [
        (c.code, outlet_code(c, city, n))
        for c in CARRIERS
        for city in ORIGIN_CITIES
        for n in (1, 2)
    ]


def _districts(carrier_index: int, city: CitySpec) -> tuple[str, str]:
    k = len(city.districts)
    return city.districts[carrier_index % k], city.districts[(carrier_index + 1) % k]


def _phone(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def _get_or_create(
    session: Session, model: type, key: dict[str, object], values: dict[str, object]
) -> int:
    row = session.execute(select(model).filter_by(**key)).scalar_one_or_none()
    if row is None:
        row = model(**key, **values)
        session.add(row)
    else:
        for name, value in values.items():
            setattr(row, name, value)
    session.flush()
    return int(row.id)


def build_world(session: Session, rng: random.Random, *, start_ts: int, now_ts: int) -> World:
    """Insert (or reuse) the reference rows and draw each outlet's behaviour from ``rng``."""
    platform_ids = {
        p.code: _get_or_create(
            session, Platform, {"code": p.code}, {"name": p.name, "profile": p.profile}
        )
        for p in PLATFORMS
    }
    carrier_ids = {
        c.code: _get_or_create(
            session,
            Carrier,
            {"code": c.code},
            {
                "name_zh": c.name_zh,
                "name_en": c.name_en,
                "aliases": list(c.aliases),
                "service_phone": c.service_phone,
            },
        )
        for c in CARRIERS
    }
    shop_ids = [
        _get_or_create(
            session,
            Shop,
            {"platform_id": platform_ids[s.platform], "code": s.code},
            {"name": s.name, "origin_province": s.province, "origin_city": s.city},
        )
        for s in SHOPS
    ]
    outlets: list[OutletProfile] = []
    for ci, carrier in enumerate(CARRIERS):
        for city in ORIGIN_CITIES:
            for n, district in enumerate(_districts(ci, city), start=1):
                outlets.append(
                    _make_outlet(
                        session,
                        rng,
                        len(outlets),
                        carrier,
                        carrier_ids[carrier.code],
                        city,
                        district,
                        n,
                    )
                )
    shop_outlets = []
    for shop in SHOPS:
        choices: list[tuple[int, float]] = []
        for code, weight in shop.carriers:
            mine = [o for o in outlets if o.carrier.code == code and o.city.city == shop.city]
            choices.append((mine[0].index, weight * PRIMARY_OUTLET_SHARE))
            choices.append((mine[1].index, weight * (1 - PRIMARY_OUTLET_SHARE)))
        shop_outlets.append(choices)
    outages = _outages(rng, shop_outlets, start_ts=start_ts, now_ts=now_ts)
    return World(platform_ids, shop_ids, carrier_ids, outlets, shop_outlets, outages)


def _make_outlet(
    session: Session,
    rng: random.Random,
    index: int,
    carrier: CarrierSpec,
    carrier_id: int,
    city: CitySpec,
    district: str,
    n: int,
) -> OutletProfile:
    short = f"{city.city}{district}网点"
    code = outlet_code(carrier, city, n)
    outlet_id = _get_or_create(
        session,
        Outlet,
        {"carrier_id": carrier_id, "code": code},
        {
            "name": f"{carrier.short}{short}",
            "province": city.province,
            "city": city.city,
            "phone": f"{city.area_code}-{rng.randrange(8 * 10**7, 9 * 10**7)}",
        },
    )
    roll = rng.random()
    quality, factor, tail_p = (
        ("bad", 1.5, 0.10)
        if roll < 0.18
        else ("good", 0.8, 0.03)
        if roll < 0.45
        else ("normal", 1.0, 0.05)
    )
    median = carrier.pickup_median_hours * 3600 * factor
    profile = OutletProfile(
        index=index,
        id=outlet_id,
        code=code,
        name=f"{carrier.short}{short}",
        short=short,
        carrier=carrier,
        carrier_id=carrier_id,
        city=city,
        quality=quality,
        mu=math.log(median),
        sigma=0.6,
        tail_p=tail_p,
        tail_scale=max(median, 6 * 3600),
    )
    for _ in range(COURIERS_PER_OUTLET):
        surname = rng.choice(SURNAMES)
        name = surname + rng.choice(GIVEN_NAMES)
        courier = Courier(outlet_id=outlet_id, name=name, phone=_phone(rng), wechat=None)
        session.add(courier)
        session.flush()
        text = f"【{city.city}市】{carrier.name_zh} {short} 的 {surname}师傅 已揽收"
        profile.couriers.append(CourierInfo(int(courier.id), name, text))
    return profile


def _outages(
    rng: random.Random, shop_outlets: list[list[tuple[int, float]]], *, start_ts: int, now_ts: int
) -> set[tuple[int, int]]:
    """A few days on which an outlet shops rely on picks up nothing.

    Three are placed on purpose so the demo always tells the story: the busiest outlets of the
    first and the last shop are down today (parcels pile up, deadlines approach), the second
    shop's three days ago (a cluster of breaches).
    """
    first_day, today = local_day(start_ts), local_day(now_ts)
    used = sorted({i for choices in shop_outlets for i, _w in choices})
    outages = {
        (shop_outlets[0][0][0], today),
        (shop_outlets[-1][0][0], today),
        (shop_outlets[1][0][0], today - 3),
    }
    for _ in range(max(1, (today - first_day) // 5)):
        outlet = rng.choice(used)
        day = rng.randint(first_day, today - 1)
        outages.add((outlet, day))
        if rng.random() < 0.4:  # some last two days
            outages.add((outlet, day + 1))
    return outages


def outage_list(world: World) -> list[tuple[str, date]]:
    return sorted((world.outlets[i].name, day_to_date(d)) for i, d in world.outages)


def utc_from_ts(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)
