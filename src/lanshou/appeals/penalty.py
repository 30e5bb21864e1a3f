"""What a violation cost and what an appeal got back, read from its ledger entries.

Money (fen) and points (扣分) are kept apart: points are not money and are never added into a
money total. "Recovered" is what approving an appeal reversed; "booked" is what stood before
that decision (the net of every other entry, re-evaluations included)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from lanshou.adapters.db.models import LedgerEntry

MONEY_KINDS = ("compensation", "fine", "refund")
_BY_APPEAL = re.compile(r"(?:reversal: )?appeal \d+ approved")


@dataclass(frozen=True)
class KindPenalty:
    kind: str
    booked_fen: int
    recovered_fen: int

    @property
    def net_fen(self) -> int:
        return self.booked_fen - self.recovered_fen


@dataclass(frozen=True)
class Penalty:
    money: list[KindPenalty]  # the money kinds that have any entry, in MONEY_KINDS order
    points_booked: Decimal
    points_restored: Decimal

    @property
    def booked_fen(self) -> int:
        return sum(k.booked_fen for k in self.money)

    @property
    def recovered_fen(self) -> int:
        return sum(k.recovered_fen for k in self.money)

    @property
    def net_fen(self) -> int:
        return self.booked_fen - self.recovered_fen

    @property
    def points_net(self) -> Decimal:
        return self.points_booked - self.points_restored

    @property
    def empty(self) -> bool:
        return not self.money and not self.points_booked


def _by_appeal(entry: LedgerEntry) -> bool:
    return entry.reverses_id is not None and bool(_BY_APPEAL.match(entry.memo or ""))


def penalty_of(entries: list[LedgerEntry]) -> Penalty:
    money = []
    kinds = {e.kind for e in entries}
    for kind in (*MONEY_KINDS, *sorted(kinds - set(MONEY_KINDS) - {"points"})):
        mine = [e for e in entries if e.kind == kind]
        if not mine or not any(e.amount_fen for e in mine):
            continue
        recovered = -sum(e.amount_fen for e in mine if _by_appeal(e))
        net = sum(e.amount_fen for e in mine)
        money.append(KindPenalty(kind, net + recovered, recovered))
    restored = -sum((Decimal(e.points) for e in entries if _by_appeal(e)), Decimal(0))
    net_points = sum((Decimal(e.points) for e in entries), Decimal(0))
    return Penalty(money, net_points + restored, restored)


def points_text(points: Decimal) -> str:
    """'2' or '1.5': points as the platform writes them, without trailing zeros."""
    return f"{points.normalize():f}"
