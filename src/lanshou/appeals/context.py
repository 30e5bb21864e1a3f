"""What the appeal services need besides a session: rules, evidence storage, deployment mode."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from lanshou.adapters.db.models import Violation
from lanshou.adapters.storage import DatabaseStorage, EvidenceStorage, LocalDirectoryStorage
from lanshou.domain.appeals.limits import AppealLimits
from lanshou.domain.appeals.venue import Mode, Venue
from lanshou.domain.rules.calendar import WorkingCalendar
from lanshou.domain.rules.profile import Profile
from lanshou.enforcement import RulesContext
from lanshou.settings import Settings

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_CASE_BYTES = 50 * 1024 * 1024


@dataclass
class AppealsContext:
    rules: RulesContext
    storage: EvidenceStorage
    mode: Mode = "platform"
    max_file_bytes: int = MAX_FILE_BYTES
    max_case_bytes: int = MAX_CASE_BYTES
    _limits: dict[str, AppealLimits] = field(default_factory=dict, repr=False)

    @classmethod
    def from_settings(
        cls, settings: Settings, rules: RulesContext | None = None, engine: Engine | None = None
    ) -> AppealsContext:
        return cls(
            rules or RulesContext.from_settings(settings),
            evidence_storage(settings, engine),
            settings.mode,
            settings.evidence_max_file_bytes,
            settings.evidence_max_case_bytes,
        )

    def store(self, session: Session) -> EvidenceStorage:
        """Evidence storage inside ``session``'s transaction."""
        return self.storage.within(session)

    @property
    def venue(self) -> Venue:
        """Where the appeals filed now are decided (see :mod:`lanshou.domain.appeals.venue`)."""
        return Venue.for_mode(self.mode)

    def profile(self, violation: Violation) -> Profile:
        return self.rules.profile(violation.profile)

    def calendar(self, violation: Violation) -> WorkingCalendar:
        return self.rules.calendar(self.profile(violation))

    def limits(self, violation: Violation) -> AppealLimits:
        if violation.profile not in self._limits:
            self._limits[violation.profile] = AppealLimits.from_profile(
                self.profile(violation).appeal
            )
        return self._limits[violation.profile]


def evidence_storage(settings: Settings, engine: Engine | None = None) -> EvidenceStorage:
    """The configured store; the database store reads files left in the evidence directory."""
    local = LocalDirectoryStorage(settings.resolved_evidence_dir())
    if settings.evidence_store == "local":
        return local
    return DatabaseStorage(engine, fallback=local)


def lock_violation(session: Session, violation_id: int) -> Violation | None:
    """The violation row, locked on PostgreSQL so two filings for it are serialised."""
    return session.execute(
        select(Violation).where(Violation.id == violation_id).with_for_update()
    ).scalar_one_or_none()
