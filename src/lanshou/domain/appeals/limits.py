"""Appeal windows and limits, read from the violation's platform profile (DOMAIN.md §3).

``max_rounds`` in a profile counts reconsideration rounds after the first appeal (douyin: 1,
"申诉复议 once"); the workflow itself allows at most one reconsideration, so a case has at most
two rounds whatever the profile says.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from lanshou.domain.rules.profile import Appeal as AppealRules

__all__ = [
    "DEFAULT_LIMITS",
    "AppealLimits",
    "LimitExceeded",
    "WindowClosed",
]

MAX_WORKFLOW_ROUNDS = 2  # the first appeal and one reconsideration


class WindowClosed(Exception):
    """A filing came after its window; says which window and when it closed."""

    def __init__(self, window: str, days: int, closed_at: dt.datetime) -> None:
        super().__init__(f"the {window} window of {days} days closed at {closed_at.isoformat()}")
        self.window, self.days, self.closed_at = window, days, closed_at


class LimitExceeded(Exception):
    """A statement or an evidence count over the profile's limit."""

    def __init__(self, what: str, limit: int, actual: int) -> None:
        super().__init__(f"{what} is limited to {limit}; got {actual}")
        self.what, self.limit, self.actual = what, limit, actual


@dataclass(frozen=True)
class AppealLimits:
    window_days: int = 7
    reconsideration_window_days: int = 7
    max_rounds: int = MAX_WORKFLOW_ROUNDS
    statement_max_chars: int = 200
    max_images: int = 5
    review_sla_working_days: int = 2
    reconsideration_by_other_reviewer: bool = True

    @classmethod
    def from_profile(cls, rules: AppealRules | None) -> AppealLimits:
        if rules is None:
            return DEFAULT_LIMITS
        return cls(
            window_days=rules.window_days,
            reconsideration_window_days=rules.reconsideration_window_days or 7,
            max_rounds=min(1 + rules.max_rounds, MAX_WORKFLOW_ROUNDS),
            statement_max_chars=rules.statement_max_chars,
            max_images=rules.max_images,
            review_sla_working_days=rules.review_sla_working_days,
            reconsideration_by_other_reviewer=rules.reconsideration_by_other_reviewer,
        )

    def appeal_closes_at(self, notice_at: dt.datetime) -> dt.datetime:
        return notice_at + dt.timedelta(days=self.window_days)

    def reconsideration_closes_at(self, rejected_at: dt.datetime) -> dt.datetime:
        return rejected_at + dt.timedelta(days=self.reconsideration_window_days)

    def check_appeal_window(self, notice_at: dt.datetime, now: dt.datetime) -> None:
        closes = self.appeal_closes_at(notice_at)
        if now > closes:
            raise WindowClosed("appeal", self.window_days, closes)

    def check_reconsideration_window(self, rejected_at: dt.datetime, now: dt.datetime) -> None:
        closes = self.reconsideration_closes_at(rejected_at)
        if now > closes:
            raise WindowClosed("reconsideration", self.reconsideration_window_days, closes)

    def check_statement(self, statement: str) -> None:
        if len(statement) > self.statement_max_chars:
            raise LimitExceeded("statement", self.statement_max_chars, len(statement))

    def check_images(self, count_after_upload: int) -> None:
        if count_after_upload > self.max_images:
            raise LimitExceeded("images", self.max_images, count_after_upload)

    def rounds_left_after(self, round_no: int) -> bool:
        """Whether a rejection in ``round_no`` may still be reconsidered."""
        return round_no < self.max_rounds


DEFAULT_LIMITS = AppealLimits()
