"""The 快递100 授权key is kept sealed, by the box the platforms area seals its secrets with.

Feeds sit below platforms, so they take the box as a parameter (``Runtime.platforms.box``,
:class:`lanshou.platforms.SecretBox`) instead of importing it.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from lanshou.adapters.db.models.feeds import FeedIntegration


class Sealer(Protocol):
    def seal(self, plain: str) -> str: ...

    def open(self, sealed: str) -> str: ...


def subscribe_key_of(row: FeedIntegration, sealer: Sealer) -> str | None:
    """The clear key for a subscription request (a row not sealed yet still has it in clear)."""
    if row.subscribe_key_enc is not None:
        return sealer.open(row.subscribe_key_enc)
    return row.subscribe_key


def seal_stored_keys(session: Session, sealer: Sealer) -> int:
    """Seal keys stored in clear before migration 0021 and clear the old column; returns how
    many. Runs at start-up (it needs LANSHOU_SECRET_KEY, which a migration does not have);
    once done it is one query that finds nothing."""
    rows = session.execute(
        select(FeedIntegration).where(FeedIntegration.subscribe_key.is_not(None))
    ).scalars()
    sealed = 0
    for row in rows:
        assert row.subscribe_key is not None
        row.subscribe_key_enc, row.subscribe_key = sealer.seal(row.subscribe_key), None
        sealed += 1
    return sealed
