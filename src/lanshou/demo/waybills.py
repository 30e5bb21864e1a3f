"""Waybill numbers in each carrier's typical shape (prefix and length).

The order's sequence number comes first, so numbers never repeat within one demo and index
inserts stay nearly sequential (much faster bulk loads); random trailing digits make them look
less regular.
"""

from __future__ import annotations

import random

# carrier code -> (possible prefixes, number of digits after the prefix)
FORMATS: dict[str, tuple[tuple[str, ...], int]] = {
    "SF": (("SF",), 12),
    "ZTO": (("75", "78"), 12),
    "YTO": (("YT",), 13),
    "YUNDA": (("43", "46"), 11),
    "STO": (("77",), 13),
    "JT": (("JT",), 13),
    "EMS": (("11", "98"), 11),
    "JD": (("JD",), 13),
}
SEQ_DIGITS = 8
SEQ_OFFSET = 31_415_926  # unique up to 68 M orders; avoids numbers starting 0000


def waybill(carrier_code: str, seq: int, rng: random.Random) -> str:
    prefixes, digits = FORMATS[carrier_code]
    prefix = prefixes[0] if len(prefixes) == 1 else prefixes[int(rng.random() * len(prefixes))]
    free = digits - SEQ_DIGITS
    number = (seq + SEQ_OFFSET) % 10**SEQ_DIGITS
    return f"{prefix}{number:0{SEQ_DIGITS}d}{int(rng.random() * 10**free):0{free}d}"
