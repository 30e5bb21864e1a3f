"""The pickup latency histogram: its bucket grid, and nearest-rank percentiles read from it in SQL.

Both the refresh (:mod:`lanshou.analytics.aggregates`, which stores the per-window percentiles)
and the scorecards (:mod:`lanshou.analytics.scorecards`, which read them or compute others) use
these, so they live below both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import case, func, select

from lanshou.adapters.db.models import PickupWindow, Shop

# Latency histogram buckets: (upper bound in hours, bucket width in seconds) — 5 minutes below
# 6 h, 15 minutes below 24 h, 1 hour above. A percentile is reported as the lower edge of its
# bucket: reported ≤ exact < reported + width (at most 5 min, 15 min, 1 h; under ~4 % of the
# value beyond 6 h). Latencies on that grid (whole hours, half hours …) come out exact.
BUCKET_BANDS = ((6, 300), (24, 900), (None, 3600))
PERCENTILES = (50, 90, 99)


def _band_starts() -> list[tuple[int, int, int]]:
    """(first bucket, start second, width) of each band."""
    out, bucket, start = [], 0, 0
    for upper, width in BUCKET_BANDS:
        out.append((bucket, start, width))
        if upper is not None:
            bucket += (upper * 3600 - start) // width
            start = upper * 3600
    return out


_BANDS = _band_starts()


def bucket_of(seconds: float) -> int:
    s = max(0.0, seconds)
    for first, start, width in reversed(_BANDS):
        if s >= start:
            return first + int((s - start) // width)
    return 0


def bucket_hours(bucket: int) -> float:
    """The lower edge of a bucket in hours: what a percentile in that bucket is reported as."""
    for first, start, width in reversed(_BANDS):
        if bucket >= first:
            return (start + (bucket - first) * width) / 3600
    return 0.0


def window_histogram(
    window: int, level: str, *, per_shop: bool = False, shops: Sequence[int] | None = None
) -> tuple[Any, list[Any]]:
    """The window's latency histogram of a level as a grouped subquery (k0[, k1], bucket, n;
    with ``per_shop`` the shop first) over all shops or ``shops``; entity 0 means none."""
    w = PickupWindow
    keys: list[Any] = [w.shop_id] if per_shop else []
    keys += [Shop.origin_province, w.entity_id] if level == "province" else [w.entity_id]
    q = select(
        *(k.label(f"k{i}") for i, k in enumerate(keys)),
        w.bucket.label("bucket"),
        func.sum(w.n).label("n"),
    ).where(w.window_days == window, w.level == ("carrier" if level == "province" else level))
    if shops is not None:
        q = q.where(w.shop_id.in_(sorted(shops) or [-1]))
    if level == "province":
        q = q.join(Shop, Shop.id == w.shop_id).where(Shop.origin_province.is_not(None))
    h = q.group_by(*keys, "bucket").subquery()
    return h, [h.c[f"k{i}"] for i in range(len(keys))]


def percentile_select(h: Any, keys: list[Any]) -> Any:
    """keys…, then the p50/p90/p99 buckets of the histogram subquery ``h`` per key: the first
    bucket whose cumulative count reaches p % of the key's total (nearest rank)."""
    c = select(
        *keys,
        h.c.bucket,
        func.sum(h.c.n).over(partition_by=keys, order_by=h.c.bucket).label("cum"),
        func.sum(h.c.n).over(partition_by=keys).label("total"),
    ).subquery()
    ck = [c.c[k.name] for k in keys]
    return select(
        *ck,
        *(
            func.min(case((c.c.cum * 100 >= p * c.c.total, c.c.bucket))).label(f"p{p}")
            for p in PERCENTILES
        ),
    ).group_by(*ck)
