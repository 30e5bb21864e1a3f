"""Helpers shared by the CLI commands: settings, runtime, parsing ``--now``, the language."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from lanshou.errors import InvalidInput

if TYPE_CHECKING:
    from lanshou.bootstrap import Runtime

LANG_HELP = "zh_CN or en (default: the LANSHOU_DEFAULT_LOCALE setting, zh_CN unless set)"


def runtime(*, migrate: bool = True) -> Runtime:
    # Imported here: commands without a database (`check`) start without SQLAlchemy.
    from lanshou.bootstrap import bootstrap
    from lanshou.settings import get_settings

    return bootstrap(get_settings(), migrate=migrate)


def parse_now(value: str | None, runtime_now: datetime, option: str = "--now") -> datetime:
    """``--now`` (or another time ``option``) as ISO 8601 with an offset; without the option,
    the clock's time."""
    if value is None:
        return runtime_now
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(f"{option}: {value!r} is not an ISO 8601 time") from exc
    if parsed.tzinfo is None:
        raise InvalidInput(
            f"{option}: {value!r} needs a UTC offset, e.g. 2026-11-26T10:00:00+08:00"
        )
    return parsed


def terminal_progress(*columns: Any) -> Any:
    """A transient rich progress bar on stderr with these columns after the task's description,
    or ``None`` when stderr is not a terminal (a log file gets the summary only)."""
    from rich.console import Console
    from rich.progress import Progress

    console = Console(stderr=True)
    if not console.is_terminal:
        return None
    return Progress(
        "[progress.description]{task.description}", *columns, console=console, transient=True
    )


def cli_locale(lang: str | None, default: str) -> str:
    """The language of a command's output: ``--lang`` (zh_CN, zh-CN, en, en-US …) when given,
    else the ``default_locale`` setting, as the web falls back to it."""
    # Imported here, like the runtime: babel is not needed by commands that print no catalogue
    # text (`check` starts without it).
    from lanshou.i18n import DEFAULT_LOCALE, normalize_locale

    if lang is None:
        return normalize_locale(default) or DEFAULT_LOCALE
    found = normalize_locale(lang)
    if found is None:
        raise InvalidInput(f"--lang: {lang!r} is not a language lanshou speaks; use zh_CN or en")
    return found
