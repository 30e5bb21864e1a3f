"""Resolve the many names a carrier goes by to one ``carriers`` row.

Feeds and people name carriers differently: 快递100 says ``shunfeng``, 快递鸟 ``SF``, a seller
types 顺丰速运. :data:`KNOWN_CARRIERS` is the readable table of the names we know; the ``code``,
``name_zh``, ``name_en`` and ``aliases`` of carrier rows in the database are matched as well, so
an administrator can teach lanshou a new spelling without a release. A name nobody knows resolves
to ``None``: callers keep the raw name and flag it instead of guessing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the resolver itself needs no database: `lanshou check` uses it without one
    from sqlalchemy.orm import Session

    from lanshou.adapters.db.models import Carrier

__all__ = ["KNOWN_CARRIERS", "CarrierResolver", "KnownCarrier", "carrier_row", "normalise_name"]


@dataclass(frozen=True)
class KnownCarrier:
    code: str
    name_zh: str
    name_en: str
    aliases: tuple[str, ...]


# code, Chinese name, English name, every other spelling (快递100 ``com`` codes and 快递鸟
# ``ShipperCode`` values included: YD is 韵达 and JTSD is 极兔 at 快递鸟).
KNOWN_CARRIERS: tuple[KnownCarrier, ...] = (
    KnownCarrier("SF", "顺丰速运", "SF Express", ("顺丰", "顺丰速运", "顺丰快递", "shunfeng")),
    KnownCarrier("ZTO", "中通快递", "ZTO Express", ("中通", "中通快递", "zhongtong")),
    KnownCarrier("YTO", "圆通速递", "YTO Express", ("圆通", "圆通速递", "圆通快递", "yuantong")),
    KnownCarrier("YUNDA", "韵达快递", "Yunda Express", ("韵达", "韵达快递", "yunda", "YD")),
    KnownCarrier("STO", "申通快递", "STO Express", ("申通", "申通快递", "shentong")),
    KnownCarrier(
        "JT",
        "极兔速递",
        "J&T Express",
        ("极兔", "极兔速递", "极兔快递", "J&T", "jtexpress", "JTSD", "J&T Express"),
    ),
    KnownCarrier(
        "EMS",
        "邮政EMS",
        "China Post EMS",
        (
            "邮政",
            "中国邮政",
            "邮政EMS",
            "邮政快递包裹",
            "邮政国内",
            "youzhengguonei",
            "youzhengbk",
            "YZPY",
        ),
    ),
    KnownCarrier("JD", "京东快递", "JD Logistics", ("京东", "京东快递", "京东物流", "jingdong")),
)

_SPACES = re.compile(r"[\s\u3000_\-]+")


def normalise_name(name: str) -> str:
    """Case, width and spacing do not matter: ``J&T``, ``j&t`` and ``Ｊ＆Ｔ`` are one name."""
    folded = "".join(
        chr(ord(c) - 0xFEE0) if 0xFF01 <= ord(c) <= 0xFF5E else c for c in name.strip()
    )
    return _SPACES.sub("", folded).casefold()


class CarrierResolver:
    """Name → carrier code, from the built-in table and the carrier rows (rows win)."""

    def __init__(self, rows: list[Carrier] | None = None) -> None:
        self._codes: dict[str, str] = {}
        for known in KNOWN_CARRIERS:
            for name in (known.code, known.name_zh, known.name_en, *known.aliases):
                self._codes[normalise_name(name)] = known.code
        for row in rows or []:
            for name in (row.code, row.name_zh, row.name_en, *(row.aliases or [])):
                if name:
                    self._codes[normalise_name(str(name))] = row.code

    @classmethod
    def load(cls, session: Session) -> CarrierResolver:
        from sqlalchemy import select

        from lanshou.adapters.db.models import Carrier

        return cls(list(session.execute(select(Carrier)).scalars()))

    def code(self, name: str | None) -> str | None:
        """The carrier code for any known spelling, or ``None`` if nobody knows the name."""
        if not name or not name.strip():
            return None
        return self._codes.get(normalise_name(name))


def carrier_row(session: Session, code: str) -> Carrier:
    """The row for a resolved code; a built-in carrier missing from the table is added."""
    from sqlalchemy import select

    from lanshou.adapters.db.models import Carrier

    row = session.execute(select(Carrier).where(Carrier.code == code)).scalar_one_or_none()
    if row is not None:
        return row
    known = next((k for k in KNOWN_CARRIERS if k.code == code), None)
    if known is None:
        raise LookupError(f"carrier {code!r} is neither in the table nor built in")
    row = Carrier(
        code=known.code, name_zh=known.name_zh, name_en=known.name_en, aliases=list(known.aliases)
    )
    session.add(row)
    session.flush()
    return row
