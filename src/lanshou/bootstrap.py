"""Wire settings, the database engine, the session factory and the rules together, once per process.

Everything a request, a command or a sweep needs besides its session hangs off the
:class:`Runtime`: entry points take it from here and pass it (or the piece they need) down, so
nothing below the entry points reads global settings or caches a context of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.engine import make_engine, session_factory
from lanshou.adapters.db.migrate import ensure_current
from lanshou.adapters.notify import EgressPolicy
from lanshou.adapters.notify.egress import GuardedTransport
from lanshou.alerts import SenderFactory, sender_factory
from lanshou.appeals import AppealsContext
from lanshou.audit import AuditKeys, bind_keys
from lanshou.clock import Clock, SystemClock
from lanshou.enforcement import RulesContext
from lanshou.platforms import PlatformsContext, SecretBox
from lanshou.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock = field(default_factory=SystemClock)

    # Built on first use, then shared by every request, command and sweep of the process:
    # profiles and calendars are data files, loaded once.
    @cached_property
    def rules(self) -> RulesContext:
        return RulesContext.from_settings(self.settings)

    @cached_property
    def appeals(self) -> AppealsContext:
        return AppealsContext.from_settings(self.settings, self.rules, self.engine)

    @cached_property
    def egress(self) -> EgressPolicy:
        """Where outgoing notifications may connect: public addresses and the allow-list."""
        return EgressPolicy.from_allow_list(self.settings.egress_allow)

    @cached_property
    def platforms(self) -> PlatformsContext:
        """Platform connectors: secrets sealed under LANSHOU_SECRET_KEY, gateway calls within
        :attr:`egress` (a test may assign a context whose transport is a local fake)."""
        return PlatformsContext(
            box=SecretBox(self.settings.resolved_secret_key()),
            transport=GuardedTransport(self.egress),
            clock=self.clock.now,
        )

    @cached_property
    def alert_senders(self) -> SenderFactory:
        """Real senders within :attr:`egress` (a test may assign a factory of its own)."""
        return sender_factory(self.egress)


def bootstrap(settings: Settings, *, migrate: bool = True, clock: Clock | None = None) -> Runtime:
    """Connect (raising DatabaseUnavailable with a password-free URL) and migrate to head."""
    engine = make_engine(settings.resolved_database_url())
    if migrate:
        # Migrations with data steps that need LANSHOU_SECRET_KEY get the seal (built only
        # if one asks for it).
        ensure_current(
            engine, seal=lambda plain: SecretBox(settings.resolved_secret_key()).seal(plain)
        )
    sessions = session_factory(engine)
    # The audit chain's keys travel with the sessions, so no writer below reads settings.
    bind_keys(sessions, AuditKeys.from_settings(settings))
    return Runtime(settings, engine, sessions, clock or SystemClock())
