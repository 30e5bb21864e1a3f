"""The states of a deadline and of a violation, and the named sets the code asks about.

A deadline is ``pending`` until the awaited event happens (``met``), its time passes
(``breached``) or an exemption covers it (``exempt``). A breach opens a violation: ``open``
while its facts can still change, ``confirmed`` once settled; it leaves force as ``exempt``
(an exemption applied later), ``withdrawn`` (the facts changed and it was not late after all)
or ``reversed`` (an appeal was approved).
"""

from __future__ import annotations

from enum import StrEnum


class DeadlineState(StrEnum):
    PENDING = "pending"
    # Not started as of the last judgement: the fact that starts it (a shipped_at ahead of the
    # clock) is dated later; ``next_check_at`` is that time. No due time, so no page lists it.
    WAITING = "waiting"
    MET = "met"
    BREACHED = "breached"
    EXEMPT = "exempt"


class ViolationState(StrEnum):
    OPEN = "open"
    CONFIRMED = "confirmed"
    EXEMPT = "exempt"
    WITHDRAWN = "withdrawn"
    REVERSED = "reversed"


# The penalty stands: the violation is fined, can be appealed and is re-judged when facts change.
IN_FORCE: tuple[str, ...] = (ViolationState.OPEN.value, ViolationState.CONFIRMED.value)

# The violation happened (an appeal reversing it does not undo that): it counts in losses and
# keeps its slot under the fine caps, so winning an appeal never raises other violations' fines.
# Exempt and withdrawn ones never happened.
HAPPENED: tuple[str, ...] = (*IN_FORCE, ViolationState.REVERSED.value)

# Every state, in the order lists and filters show them.
ALL_VIOLATION_STATES: tuple[str, ...] = tuple(s.value for s in ViolationState)
