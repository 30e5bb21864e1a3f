"""Money, times and durations as people read them: yuan with two decimals, Beijing time."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from lanshou.domain.money import from_fen
from lanshou.i18n import translate

DISPLAY_TZ = ZoneInfo("Asia/Shanghai")


def money(fen: int | None) -> str:
    """'¥1,344.80' for people; the API gives the plain '1344.80'."""
    return "" if fen is None else yuan(from_fen(fen))


def yuan(amount: Decimal | None) -> str:
    """A Decimal amount of yuan: '¥3.00', and '-¥3.00' (sign first, as people write it)."""
    if amount is None:
        return ""
    return f"-¥{-amount:,.2f}" if amount < 0 else f"¥{amount:,.2f}"


def file_size(size: int) -> str:
    """A size limit as people read it: '10 MB', '1.5 MB', '20 KB' (whole KB, at least 1)."""
    mb = 1024 * 1024
    if size >= mb:
        return f"{size / mb:.1f}".removesuffix(".0") + " MB"
    return f"{max(1, round(size / 1024))} KB"


def signed_money(fen: int) -> str:
    """A change of money, sign always shown: '+¥39.00', '-¥13.00', '¥0.00' (no change, no sign).

    The one way every page writes a money delta: the minus is the ASCII '-' that ``yuan`` puts
    before a negative amount, so a spreadsheet reads a copied figure and no page shows '−20'
    where another shows '-20'."""
    if fen == 0:
        return money(0)
    return f"+{money(fen)}" if fen > 0 else money(fen)


def signed_count(n: int) -> str:
    """A change of a count, sign always shown as ``signed_money`` does: '+3', '-20', '0'."""
    return f"{n:+d}" if n else "0"


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored (UTC) time shown in Asia/Shanghai."""
    return "" if value is None else value.astimezone(DISPLAY_TZ).strftime(fmt)


def capture_time(value: str) -> str:
    """A photo's EXIF capture time (ISO text): in Beijing time when the camera gave its offset,
    as the camera's clock read (without a zone to convert from) when it did not."""
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return value.replace("T", " ")
    if at.tzinfo is not None:
        at = at.astimezone(DISPLAY_TZ)
    return at.strftime("%Y-%m-%d %H:%M:%S")


def time_left(due: datetime | None, now: datetime, locale: str | None) -> str:
    """'3h 20m left' or 'overdue 1h 05m', rounded down to the minute."""
    if due is None:
        return ""
    seconds = int((due - now).total_seconds())
    minutes = abs(seconds) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        span = translate(locale, "%(d)dd %(h)dh", d=days, h=hours)
    else:
        span = translate(locale, "%(h)dh %(m)02dm", h=hours, m=mins)
    if seconds < 0:
        return translate(locale, "overdue %(span)s", span=span)
    return translate(locale, "%(span)s left", span=span)


def display_width(text: str) -> int:
    """Terminal columns ``text`` takes: wide and full-width characters (Chinese) 2, combining
    marks 0, everything else 1."""
    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
        for c in text
    )


def text_table(rows: Sequence[Sequence[str]], right: Sequence[bool]) -> list[str]:
    """Rows of cells as aligned lines for a terminal: each column as wide as its widest cell
    (by what the terminal draws), two spaces apart, ``right`` columns (numbers) right-aligned."""
    if not rows:
        return []
    widths = [max(display_width(row[i]) for row in rows) for i in range(len(right))]

    def pad(cell: str, width: int, to_right: bool) -> str:
        gap = " " * (width - display_width(cell))
        return gap + cell if to_right else cell + gap

    return [
        "  ".join(pad(c, w, r) for c, w, r in zip(row, widths, right, strict=True)).rstrip()
        for row in rows
    ]
