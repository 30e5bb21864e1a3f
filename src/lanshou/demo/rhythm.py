"""When demo buyers pay: spread over the window with an evening peak and busier weekends."""

from __future__ import annotations

import random
from bisect import bisect
from itertools import accumulate

from lanshou.demo.places import PAYMENT_HOUR_WEIGHTS
from lanshou.demo.world import LOCAL_OFFSET

HOUR = 3600
WEEKEND_FACTOR = 1.2


def paid_times(rng: random.Random, n: int, *, start_ts: int, now_ts: int) -> list[int]:
    """``n`` sorted UTC timestamps in [start_ts, now_ts), weighted by local hour and weekday."""
    first = -(-start_ts // HOUR) * HOUR  # whole hours only: the first partial hour is skipped
    slots = list(range(first, now_ts - HOUR + 1, HOUR))
    if not slots:
        raise ValueError("the demo window must span at least one whole hour")
    weights = []
    for slot in slots:
        local = slot + LOCAL_OFFSET
        weekday = (local // 86400 + 3) % 7
        w = PAYMENT_HOUR_WEIGHTS[(local % 86400) // HOUR]
        weights.append(w * WEEKEND_FACTOR if weekday >= 5 else w)
    cum = list(accumulate(weights))
    total = cum[-1]
    random_ = rng.random
    times = [slots[bisect(cum, random_() * total)] + int(random_() * HOUR) for _ in range(n)]
    times.sort()
    return times
