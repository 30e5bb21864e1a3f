"""Running one action over several selected rows: each row in its own transaction, so a refusal
leaves the others done, and each outcome reported in words on the result page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request

from lanshou.entrypoints.params import MAX_ID
from lanshou.errors import Conflict, InvalidInput, LanshouError, NotFound, PermissionDenied
from lanshou.i18n import N_, translate

# Fields that explain a refusal by themselves; others fall back to a generic sentence.
_FIELD_TEXTS = {
    "assignee_id": N_("This colleague cannot see the shop of this row."),
    "due_at": N_("The due date is not a valid date and time."),
    "note": N_("The note is limited to 2000 characters."),
    "phone": N_("No courier phone number is on file for this shipment."),
    "statement": N_("The statement is empty or too long."),
    "channel": N_("This role cannot file appeals on this channel."),
}


class RowRefused(Exception):
    """A row the action could not do, with the (translated) reason."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RowOutcome:
    label: str  # what the user recognises: the order number
    ok: bool
    message: str  # translated: what happened, or why not
    href: str = ""  # where to look at the result (the appeal, the task list)


def selected_ids(values: list[str]) -> list[int]:
    """The checked rows' ids (distinct, in order); anything that is not a row id is dropped."""
    ids = [int(v) for v in values if v.isdigit() and 1 <= int(v) <= MAX_ID]
    return list(dict.fromkeys(ids))


async def form_list(request: Request, name: str) -> list[str]:
    form = await request.form()
    return [v for v in form.getlist(name) if isinstance(v, str)]


def refusal(locale: str, exc: LanshouError) -> str:
    """One sentence for a refused row, without codes or status numbers."""
    if isinstance(exc, NotFound):
        return translate(locale, "Not found, or not one of your shops'.")
    if isinstance(exc, PermissionDenied):
        return translate(locale, "Your role may not do this.")
    if isinstance(exc, Conflict):
        if "window" in exc.details:
            return translate(locale, "The time to appeal has passed.")
        if "appeal_id" in exc.details:
            return translate(locale, "An appeal for this violation is already open.")
        return translate(locale, "Not possible in its current state; reload and check it.")
    if isinstance(exc, InvalidInput):
        text = _FIELD_TEXTS.get(str(exc.details.get("field", "")))
        if text:
            return translate(locale, text)
    return translate(locale, "Some of the input was not valid. Please check it and try again.")


def run_rows(
    locale: str,
    ids: list[int],
    label: Callable[[int], str],
    action: Callable[[int], tuple[str, str]],
) -> list[RowOutcome]:
    """``action(id)`` for each id (it opens its own transaction and returns a success message
    and link); a refused row is reported and the next one still runs."""
    out = []
    for row_id in ids:
        try:
            message, href = action(row_id)
        except LanshouError as exc:
            out.append(RowOutcome(label(row_id), False, refusal(locale, exc)))
        except RowRefused as exc:
            out.append(RowOutcome(label(row_id), False, exc.message))
        else:
            out.append(RowOutcome(label(row_id), True, message, href))
    return out
