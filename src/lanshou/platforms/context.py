"""What the platform services need besides a session: the secret box, the way out, the clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx

from lanshou.platforms.secrets import SecretBox

__all__ = ["PlatformsContext"]


@dataclass(frozen=True)
class PlatformsContext:
    """Built once by the Runtime; tests give a transport that is a local fake gateway."""

    box: SecretBox
    transport: httpx.BaseTransport
    clock: Callable[[], datetime]
    sleep: Callable[[float], None] = field(default=time.sleep)
    # Each run re-reads this much before the stored cursor: orders whose update reached the
    # platform's index late, or whose update time equals the cursor, are not missed.
    overlap: timedelta = timedelta(minutes=10)
    # A first run without --since reads this far back.
    first_window: timedelta = timedelta(days=7)
    page_size: int = 100  # order.searchList allows at most 100
    # The worker syncs each connected shop this often (pushes bring changes in between).
    sync_every: timedelta = timedelta(minutes=15)
