"""When an alert may go out: quiet hours, what counts as critical, and the retry schedule.

Quiet hours (the complaint "alerts sent at night"): no alert between ``quiet_start`` and
``quiet_end`` local time (default 22:00–08:00 in the shop's profile time zone); optionally
none on non-working days of the profile calendar either. A held-back alert is deferred to the
end of the quiet period, i.e. 08:00 of the next (working) day.

Critical alerts ignore quiet hours, because waiting until morning costs money or visibility:

* a breach of a shipment worth ``critical_amount_fen`` or more (default ¥300: from there the
  Douyin compensation becomes 1 % of the price instead of a flat ¥3, so big orders hurt most);
* a stalled carrier feed (we can no longer see pickups, so every later alert may be wrong).

Retries: attempt n (1-based) that fails is retried ``backoff × 2^(n-1)`` later (1 min, 2 min,
4 min …) until ``max_attempts``; a non-critical retry that lands in quiet hours waits too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class AlertPolicy:
    quiet_start: time = time(22, 0)
    quiet_end: time = time(8, 0)
    quiet_on_non_working_days: bool = False
    critical_amount_fen: int = 30000
    max_attempts: int = 5
    backoff: timedelta = timedelta(minutes=1)
    # A message claimed by a worker that then died is picked up again after this long.
    lease: timedelta = timedelta(minutes=5)
    # Events older than this when first collected are stale and not sent (e.g. first start).
    max_event_age: timedelta = timedelta(hours=24)

    def retry_delay(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failed attempt."""
        return self.backoff * 2.0 ** (attempts - 1)

    def in_quiet_hours(self, local: datetime) -> bool:
        t = local.time()
        if self.quiet_start == self.quiet_end:
            return False
        if self.quiet_start > self.quiet_end:  # spans midnight, e.g. 22:00–08:00
            return t >= self.quiet_start or t < self.quiet_end
        return self.quiet_start <= t < self.quiet_end


def release_at(
    at: datetime,
    tz: ZoneInfo,
    policy: AlertPolicy,
    *,
    critical: bool = False,
    is_workday: Callable[[date], bool] | None = None,
) -> datetime:
    """The earliest moment at or after ``at`` when this alert may be sent."""
    if critical:
        return at
    local = at.astimezone(tz)
    check_days = policy.quiet_on_non_working_days and is_workday is not None
    quiet_day = check_days and not (is_workday and is_workday(local.date()))
    if not policy.in_quiet_hours(local) and not quiet_day:
        return at
    day = local.date() if local.time() < policy.quiet_end else local.date() + timedelta(days=1)
    if check_days and is_workday is not None:
        for _ in range(60):
            if is_workday(day):
                break
            day += timedelta(days=1)
    released = datetime.combine(day, policy.quiet_end, tzinfo=tz)
    return max(released, at)
