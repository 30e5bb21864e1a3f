"""Platform rule profiles: the validated shape of `lanshou/rules/<name>.yaml`.

A profile is data, never code. Every figure carries its provenance (`source`, `as_of`,
`verified`) because the official rule centres could not be read (DOMAIN.md §3); a figure no
source gives is marked `assumed: true` (its `source` then says what the guess rests on), and
`lanshou.domain.rules.assumptions` lists those for the explanation, the appeal page and the
profile listing. Semantic checks (ascending tiers, known statuses, consistent fine caps) run when
the model is built, so a broken file is refused at load time rather than producing wrong money
later.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator, model_validator

from lanshou.domain.rules.calendar import HOUR_US
from lanshou.domain.tracking import STATUSES

__all__ = [
    "Appeal",
    "Compensation",
    "Consequences",
    "Duration",
    "DurationUnit",
    "Fine",
    "Override",
    "Points",
    "Profile",
    "Provenance",
    "RemoteRegion",
    "Rule",
    "SatisfiedBy",
    "StartField",
    "Tier",
]

_WINDOW = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Money = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=2)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Provenance(_Strict):
    """Where a figure comes from; `verified` stays false until checked against the live rule.

    `assumed: true` says no source gives the figure: `source` then says what it rests on.
    """

    source: str = Field(min_length=1)
    as_of: dt.date
    verified: bool = False
    assumed: bool = False

    @model_validator(mode="after")
    def _assumed_is_not_verified(self) -> Provenance:
        if self.assumed and self.verified:
            raise ValueError("an assumed figure cannot be verified; drop one of the two flags")
        return self


class _Sourced(_Strict):
    provenance: Provenance


class DurationUnit(StrEnum):
    CALENDAR_HOURS = "calendar_hours"
    WORKING_HOURS = "working_hours"
    WORKING_DAYS = "working_days"


class StartField(StrEnum):
    PAID_AT = "paid_at"
    SHIPPED_AT = "shipped_at"


class DeadlineField(StrEnum):
    EXP_SHIP_TIME = "exp_ship_time"
    SHIPPING_LIMIT_AT = "shipping_limit_at"


class SatisfiedBy(StrEnum):
    """The facts that can satisfy a rule; olist's carrier handover is read as `first_pickup`."""

    SHIPPED_AT = "shipped_at"
    FIRST_PICKUP = "first_pickup"


def parse_window(text: str) -> tuple[int, int]:
    """'09:00-12:00' -> (32400, 43200) seconds since local midnight; 24:00 allowed as an end."""
    m = _WINDOW.match(text)
    if not m:
        raise ValueError(f"working window {text!r} is not HH:MM-HH:MM")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    start, end = h1 * 3600 + m1 * 60, h2 * 3600 + m2 * 60
    if m1 > 59 or m2 > 59 or start >= end or end > 86400:
        raise ValueError(f"working window {text!r} must be an increasing span within one day")
    return start, end


class Duration(_Strict):
    """A span of time counted in calendar hours, working hours or working days."""

    hours: Decimal = Field(gt=0, description="hours, or the number of days for working_days")
    unit: DurationUnit = DurationUnit.CALENDAR_HOURS
    # Keys: `default` plus optional weekday keys mon..sun (a make-up Saturday uses `sat` if given).
    working_windows: dict[str, list[str]] | None = None

    @field_validator("working_windows")
    @classmethod
    def _windows_ok(cls, v: dict[str, list[str]] | None) -> dict[str, list[str]] | None:
        if v is None:
            return v
        for key, spans in v.items():
            if key != "default" and key not in _WEEKDAYS:
                raise ValueError(f"unknown working_windows key {key!r}; use default or mon..sun")
            bounds = [parse_window(s) for s in spans]
            for (_, e1), (s2, _) in itertools.pairwise(bounds):
                if s2 < e1:
                    raise ValueError(f"working windows of {key!r} overlap or are not in order")
        return v

    @model_validator(mode="after")
    def _unit_consistent(self) -> Duration:
        if self.working_windows is not None and self.unit != DurationUnit.WORKING_HOURS:
            raise ValueError("working_windows only apply to unit working_hours")
        if self.unit == DurationUnit.WORKING_DAYS and self.hours != int(self.hours):
            raise ValueError("working_days needs a whole number of days")
        return self

    def windows_for(self, weekday: int) -> list[tuple[int, int]]:
        """Working windows (seconds since local midnight) for a workday with this weekday."""
        spans = self.working_windows or {}
        chosen = spans.get(_WEEKDAYS[weekday], spans.get("default", ["00:00-24:00"]))
        return [parse_window(s) for s in chosen]

    @property
    def micros(self) -> int:
        """The length in microseconds (hours units) — integer so SQL and Python agree exactly."""
        return int(self.hours * HOUR_US)


class Override(_Sourced):
    """A holiday window keyed on the local date of the rule's start (e.g. Spring Festival)."""

    from_date: dt.date = Field(alias="from")
    to_date: dt.date = Field(alias="to")
    deadline_at: dt.datetime | None = Field(None, description="naive local time in profile tz")
    duration: Duration | None = None

    @model_validator(mode="after")
    def _one_of(self) -> Override:
        if (self.deadline_at is None) == (self.duration is None):
            raise ValueError("an override needs exactly one of deadline_at or duration")
        if self.to_date < self.from_date:
            raise ValueError("override 'to' is before 'from'")
        if self.deadline_at is not None and self.deadline_at.tzinfo is not None:
            raise ValueError("deadline_at is a local time; write it without an offset")
        return self


class Tier(_Strict):
    """One compensation band; the first band whose bound admits the base applies."""

    up_to: Money | None = Field(None, description="inclusive upper bound")
    below: Money | None = Field(None, description="exclusive upper bound")
    fixed: Money | None = None
    percent: Decimal | None = Field(None, ge=0, le=100)
    min: Money | None = None
    max: Money | None = None

    @model_validator(mode="after")
    def _shape(self) -> Tier:
        if self.up_to is not None and self.below is not None:
            raise ValueError("a tier has up_to or below, not both")
        if (self.fixed is None) == (self.percent is None):
            raise ValueError("a tier needs exactly one of fixed or percent")
        if self.fixed is not None and (self.min is not None or self.max is not None):
            raise ValueError("min/max only apply to percent tiers")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("tier min is above max")
        return self

    @property
    def bound(self) -> Decimal | None:
        return self.up_to if self.up_to is not None else self.below


class Compensation(_Sourced):
    base: Literal["unit_price", "amount"]
    tiers: list[Tier] = Field(min_length=1)

    @field_validator("tiers")
    @classmethod
    def _ascending(cls, tiers: list[Tier]) -> list[Tier]:
        if tiers[-1].bound is not None:
            raise ValueError("the last tier must be open-ended (no up_to/below)")
        prev: Tier | None = None
        for i, t in enumerate(tiers[:-1]):
            if t.bound is None:
                raise ValueError(f"only the last tier may be open-ended (tier {i} is)")
            if prev is not None and prev.bound is not None:
                # Equal bounds make sense only as "below X" followed by "up_to X".
                ok = t.bound > prev.bound or (
                    t.bound == prev.bound and prev.below is not None and t.up_to is not None
                )
                if not ok:
                    raise ValueError(f"tier bounds must ascend (tier {i})")
            prev = t
        return tiers


class Fine(_Sourced):
    amount: Money
    max_per_order: int | None = Field(None, ge=1, description="count of fines per order")
    max_per_shop_per_day: Money | None = Field(None, description="money per shop per local day")


class Points(_Sourced):
    per_event: Decimal = Field(ge=0)
    max_per_day: Decimal | None = Field(None, ge=0)
    max_per_week: Decimal | None = Field(None, ge=0)


class Consequences(_Strict):
    compensation: Compensation | None = None
    fine: Fine | None = None
    points: Points | None = None
    auto_refund_after_hours: Decimal | None = Field(None, gt=0)
    auto_refund_provenance: Provenance | None = None

    @model_validator(mode="after")
    def _refund_sourced(self) -> Consequences:
        if self.auto_refund_after_hours is not None and self.auto_refund_provenance is None:
            raise ValueError("auto_refund_after_hours needs auto_refund_provenance")
        return self


class Rule(_Sourced):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label_zh: str
    label_en: str
    start: StartField | None = None
    deadline_field: DeadlineField | None = None
    duration: Duration | None = None
    overrides: list[Override] = []
    satisfied_by: SatisfiedBy
    consequences: Consequences = Consequences()

    def label(self, locale: str) -> str:
        """The rule's name in a locale: English for ``en``, Chinese (the default) otherwise."""
        return self.label_en if locale == "en" else self.label_zh

    @property
    def awaits_pickup(self) -> bool:
        """A 揽收 rule: its deadline waits for the carrier's first pickup scan, whatever its id."""
        return self.satisfied_by == SatisfiedBy.FIRST_PICKUP

    @model_validator(mode="after")
    def _computable(self) -> Rule:
        if self.deadline_field is None and (self.start is None or self.duration is None):
            raise ValueError("a rule needs deadline_field, or start together with duration")
        if self.overrides and self.start is None:
            raise ValueError("overrides are keyed on the start date; set start")
        return self


class RemoteRegion(_Sourced):
    """Remote provinces get extra calendar hours, or are not judged at all."""

    id: str
    provinces: list[str] = Field(min_length=1)
    extra_hours: Decimal | None = Field(None, gt=0)
    exclude: bool = False
    rules: list[str] | None = None

    @model_validator(mode="after")
    def _one_of(self) -> RemoteRegion:
        if (self.extra_hours is None) == (not self.exclude):
            raise ValueError("a remote region has exactly one of extra_hours or exclude: true")
        return self


class Appeal(_Sourced):
    window_days: int = Field(gt=0)
    reconsideration_window_days: int | None = Field(None, gt=0)
    max_rounds: int = Field(1, ge=1)
    statement_max_chars: int = Field(gt=0)
    max_images: int = Field(ge=0)
    review_sla_working_days: int = Field(2, gt=0)
    # 复议 is a second look: by default whoever decided the first round may not decide it.
    reconsideration_by_other_reviewer: StrictBool = True


class Profile(_Sourced):
    """One platform's rules, consequences, exemptions and appeal settings."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    timezone: str
    calendar: Literal["china", "weekends"] = "china"
    currency: str = "CNY"
    rules: list[Rule] = Field(min_length=1)
    exemptions: list[RemoteRegion] = []
    warning_lead_hours: list[Decimal] = []
    appeal: Appeal | None = None
    pickup_statuses: list[str] = Field(min_length=1)
    skip_statuses: list[str] = ["cancelled"]

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {v!r}") from exc
        return v

    @field_validator("pickup_statuses")
    @classmethod
    def _statuses(cls, v: list[str]) -> list[str]:
        unknown = sorted(set(v).difference(STATUSES))  # the normalised vocabulary, DOMAIN.md §4
        if unknown:
            raise ValueError(f"unknown statuses {unknown}; known: {sorted(STATUSES)}")
        return v

    @field_validator("warning_lead_hours")
    @classmethod
    def _leads(cls, v: list[Decimal]) -> list[Decimal]:
        if any(h <= 0 for h in v) or v != sorted(v, reverse=True):
            raise ValueError("warning_lead_hours must be positive and in descending order")
        return v

    @model_validator(mode="after")
    def _cross_checks(self) -> Profile:
        ids = [r.id for r in self.rules]
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate rule ids in {ids}")
        for region in self.exemptions:
            unknown = sorted(set(region.rules or []) - set(ids))
            if unknown:
                raise ValueError(f"exemption {region.id!r} names unknown rules {unknown}")
        # Fine caps pool the violations of all rules, so they must agree across rules.
        caps = {
            (r.consequences.fine.max_per_order, r.consequences.fine.max_per_shop_per_day)
            for r in self.rules
            if r.consequences.fine is not None
        }
        if len(caps) > 1:
            raise ValueError("all rules with fines must share max_per_order/max_per_shop_per_day")
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    def rule_label(self, rule_id: str, locale: str) -> str:
        """The label of one of this profile's rules; the id itself for a rule it no longer has
        (a violation outlives an edit of its profile)."""
        try:
            return self.rule(rule_id).label(locale)
        except KeyError:
            return rule_id

    @property
    def ship_by_rule_ids(self) -> frozenset[str]:
        """The ids of the rules whose clock starts at payment: their deadline is the order's
        ship-by time (发货时限), whatever then satisfies them (shipping, or the pickup scan)."""
        return frozenset(r.id for r in self.rules if r.start == StartField.PAID_AT)

    @property
    def pickup_rule_ids(self) -> frozenset[str]:
        """The ids of the rules that wait for the first pickup scan (`Rule.awaits_pickup`)."""
        return frozenset(r.id for r in self.rules if r.awaits_pickup)

    def fine_caps(self) -> tuple[int | None, Decimal | None]:
        """(max fines per order, max fine money per shop per local day) shared by all rules."""
        for r in self.rules:
            if r.consequences.fine is not None:
                return r.consequences.fine.max_per_order, r.consequences.fine.max_per_shop_per_day
        return None, None
