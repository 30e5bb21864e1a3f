"""What missing a deadline costs the shop, priced the same way on the at-risk board and in the
exposure figures (which a test holds equal)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from lanshou.domain.money import from_fen
from lanshou.domain.rules.consequences import compensation_for, unit_price
from lanshou.domain.rules.profile import Rule


def miss_cost(
    rule: Rule, amount_fen: int, quantity: int, max_unit_fen: int | None
) -> tuple[Decimal, Decimal]:
    """(compensation, fine) the rule charges for a miss on a shipment of that amount, quantity
    and highest unit price."""
    comp = Decimal(0)
    if rule.consequences.compensation is not None:
        unit = unit_price(
            from_fen(amount_fen),
            quantity,
            from_fen(max_unit_fen) if max_unit_fen is not None else None,
        )
        base: Decimal | Fraction = (
            unit if rule.consequences.compensation.base == "unit_price" else from_fen(amount_fen)
        )
        comp = compensation_for(rule.consequences.compensation, base)
    fine = rule.consequences.fine.amount if rule.consequences.fine else Decimal(0)
    return comp, fine
