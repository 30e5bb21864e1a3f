"""The language of an API answer that has one (the appeal dossier's PDF summary).

As the web chooses, an explicit choice first and the ``default_locale`` setting last: the
``lang`` query parameter, then the ``Accept-Language`` header (its most preferred language
lanshou speaks), then the caller's saved language, then the setting. The JSON stays as it is.
"""

from __future__ import annotations

from lanshou.errors import InvalidInput
from lanshou.i18n import DEFAULT_LOCALE, normalize_locale

__all__ = ["accepted_locale", "answer_locale"]


def accepted_locale(header: str | None) -> str | None:
    """The most preferred language of an ``Accept-Language`` header that lanshou speaks
    (``en-US,en;q=0.9,zh-CN;q=0.8`` → ``en``); None if it names none (or ``*`` only)."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                weight = float(value)
            except ValueError:
                continue  # a malformed weight: that entry is ignored
        locale = normalize_locale(tag)
        if locale is not None and weight > 0:
            ranked.append((-weight, i, locale))
    return min(ranked)[2] if ranked else None


def answer_locale(
    lang: str | None, accept_language: str | None, saved: str | None, default: str
) -> str:
    """The answer's language (see the module); an unknown ``lang`` is refused, naming it."""
    if lang is not None:
        chosen = normalize_locale(lang)
        if chosen is None:
            raise InvalidInput(f"lang: {lang!r} is not zh_CN or en", field="lang")
        return chosen
    return (
        accepted_locale(accept_language)
        or normalize_locale(saved)
        or normalize_locale(default)
        or DEFAULT_LOCALE
    )
