"""The 快递100 授权key is kept sealed, by the box the platforms area seals its secrets with.

Feeds sit below platforms, so they take the box as a parameter (``Runtime.platforms.box``,
:class:`lanshou.platforms.SecretBox`) instead of importing it.
"""

from __future__ import annotations

from typing import Protocol

from lanshou.adapters.db.models.feeds import FeedIntegration


class Sealer(Protocol):
    def seal(self, plain: str) -> str: ...

    def open(self, sealed: str) -> str: ...


def subscribe_key_of(row: FeedIntegration, sealer: Sealer) -> str | None:
    """The clear key for a subscription request. (Keys stored in clear before migration 0021
    were sealed by migration 0025, with the seal the application hands it.)"""
    if row.subscribe_key_enc is not None:
        return sealer.open(row.subscribe_key_enc)
    return None
