"""The buyer's phone tail (尾号): the last four digits of a buyer phone, for the search box.

Privacy: lanshou never stores a buyer's phone number, only these four digits
(``orders.buyer_phone_tail``); the full value read from an export or the platform is dropped
here. A value has a tail when it is phone-shaped (digits, ``*`` masks, ``+ - ( )``, blanks) and
ends in four digits: ``13800138000``, ``138****1234`` and ``+86 138-0013-8000`` do; a mask that
hides the last digits (``1********35``, the 抖店 e-commerce mask), a short number, an extension
(``0571-8888-123``) or an encrypted value (``$…$``) do not: the order keeps no tail and the
import counts it as a warning, it is not a rejected row (the order itself is sound).

The same rule as SQL (:data:`PHONE_SHAPE` is RE2- and ``re``-compatible, ASCII only) serves
``check``'s DuckDB path, so both readers agree.
"""

from __future__ import annotations

import re

__all__ = ["PHONE_SHAPE", "phone_tail"]

PHONE_SHAPE = r"[0-9*+() \t-]*[0-9]{4}"
_SHAPE = re.compile(PHONE_SHAPE)


def phone_tail(text: str | None) -> str | None:
    """The last four digits of a trimmed phone value, None when it has none (see above)."""
    if text is None or _SHAPE.fullmatch(text) is None:
        return None
    return text[-4:]
