"""A file-level input error with its words in any language: raised in English (logs, the API),
carrying a :class:`~lanshou.batch.Reason` the commands show in the reader's language."""

from __future__ import annotations

from lanshou.batch import Reason
from lanshou.errors import InvalidInput

__all__ = ["invalid"]


def invalid(code: str, msgid: str, **params: object) -> InvalidInput:
    reason = Reason.of(code, msgid, **params)
    return InvalidInput(reason.text("en"), reason=reason)
