"""Money: Decimal yuan in the domain, integer fen (分) in storage. Never float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def to_fen(yuan: Decimal) -> int:
    """Yuan to fen, rounding half up at the cent (the platforms' rule)."""
    return int((yuan.quantize(CENT, rounding=ROUND_HALF_UP) * 100).to_integral_value())


def from_fen(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(CENT)


def format_yuan(fen: int) -> str:
    """'12.30' — two decimals, as the API and reports show money."""
    return f"{from_fen(fen):.2f}"
