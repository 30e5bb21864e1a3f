"""The appeal workflow, declared with python-statemachine; states come from :class:`AppealState`.

    draft ──submit──▶ submitted ──claim──▶ under_review ──approve──▶ approved
      ▲                   ▲                     │ ├─reject (rounds left)──▶ rejected
      │                   └──submit── need_info ◀┘ └─reject (last round)──▶ rejected_final
    rejected ──reconsider──▶ reconsideration ──claim──▶ under_review
    draft | submitted | need_info ──withdraw──▶ withdrawn
    draft | need_info | rejected ──expire──▶ expired   (a window passed unused)

The class is validated when it is built, so an unreachable or dead-end state fails at import.
The machine is bound to any object with a ``state`` string attribute and a
``has_rounds_left()`` method (the :class:`~lanshou.adapters.db.models.Appeal` row via
:class:`MachineModel`), and moves it; the services persist the result.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from statemachine import StateMachine
from statemachine.exceptions import TransitionNotAllowed
from statemachine.states import States

__all__ = [
    "AWAITING_DECISION",
    "AWAITING_REVIEW",
    "DECIDED_STATES",
    "FINAL_STATES",
    "MERCHANT_TO_ACT",
    "REJECTED_STATES",
    "AppealEvent",
    "AppealMachine",
    "AppealState",
    "MachineModel",
    "TransitionNotAllowed",
    "allowed_events",
    "apply",
]


class AppealState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    NEED_INFO = "need_info"
    APPROVED = "approved"
    REJECTED = "rejected"
    RECONSIDERATION = "reconsideration"
    REJECTED_FINAL = "rejected_final"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


class AppealEvent(StrEnum):
    SUBMIT = "submit"
    CLAIM = "claim"
    APPROVE = "approve"
    REJECT = "reject"
    REQUEST_INFO = "request_info"
    RECONSIDER = "reconsider"
    WITHDRAW = "withdraw"
    EXPIRE = "expire"


FINAL_STATES = frozenset(
    {AppealState.APPROVED, AppealState.REJECTED_FINAL, AppealState.WITHDRAWN, AppealState.EXPIRED}
)

# Named sets, as plain values (they go into SQL and templates as they are).
# What a reviewer has to act on: new cases, reconsiderations, and cases being reviewed.
AWAITING_REVIEW: tuple[str, ...] = (
    AppealState.SUBMITTED.value,
    AppealState.RECONSIDERATION.value,
    AppealState.UNDER_REVIEW.value,
)
# Filed and not decided yet (waiting for the reviewer or for the merchant's answer).
AWAITING_DECISION: tuple[str, ...] = (*AWAITING_REVIEW, AppealState.NEED_INFO.value)
# A window is open for the merchant: to file, to answer, to ask for reconsideration.
MERCHANT_TO_ACT: tuple[str, ...] = (
    AppealState.DRAFT.value,
    AppealState.NEED_INFO.value,
    AppealState.REJECTED.value,
)
REJECTED_STATES: tuple[str, ...] = (AppealState.REJECTED.value, AppealState.REJECTED_FINAL.value)
DECIDED_STATES: tuple[str, ...] = (AppealState.APPROVED.value, *REJECTED_STATES)


class AppealMachine(StateMachine):
    """申诉流程: the legal moves of one appeal."""

    _ = States.from_enum(
        AppealState,
        initial=AppealState.DRAFT,
        final=sorted(FINAL_STATES),
        use_enum_instance=False,
    )

    submit = _.DRAFT.to(_.SUBMITTED) | _.NEED_INFO.to(_.SUBMITTED)
    claim = _.SUBMITTED.to(_.UNDER_REVIEW) | _.RECONSIDERATION.to(_.UNDER_REVIEW)
    approve = _.UNDER_REVIEW.to(_.APPROVED)
    reject = _.UNDER_REVIEW.to(_.REJECTED, cond="has_rounds_left") | _.UNDER_REVIEW.to(
        _.REJECTED_FINAL, unless="has_rounds_left"
    )
    request_info = _.UNDER_REVIEW.to(_.NEED_INFO)
    reconsider = _.REJECTED.to(_.RECONSIDERATION)
    withdraw = _.DRAFT.to(_.WITHDRAWN) | _.SUBMITTED.to(_.WITHDRAWN) | _.NEED_INFO.to(_.WITHDRAWN)
    expire = _.DRAFT.to(_.EXPIRED) | _.NEED_INFO.to(_.EXPIRED) | _.REJECTED.to(_.EXPIRED)


class MachineModel:
    """What the machine reads and writes: the state, and whether another round is allowed."""

    def __init__(self, state: str, *, rounds_left: bool) -> None:
        self.state = state
        self._rounds_left = rounds_left

    def has_rounds_left(self) -> bool:
        return self._rounds_left


def allowed_events(state: str, *, rounds_left: bool = True) -> list[str]:
    """The events that may be sent in ``state`` (for 409 answers and the UI)."""
    machine = AppealMachine(model=MachineModel(state, rounds_left=rounds_left))
    return sorted({e.id for e in machine.allowed_events})


def apply(state: str, event: AppealEvent | str, *, rounds_left: bool = True) -> AppealState:
    """The state after ``event``; raises :class:`TransitionNotAllowed` for an illegal move."""
    model = MachineModel(state, rounds_left=rounds_left)
    machine: Any = AppealMachine(model=model)
    machine.send(str(event))
    return AppealState(model.state)
