"""Errors of the rules package.

RulesError
 ├── ProfileError         a profile file is missing, unreadable or invalid
 └── CalendarError        a calendar override file is invalid
"""

from __future__ import annotations

__all__ = ["CalendarError", "ProfileError", "RulesError"]


class RulesError(Exception):
    """Base of the rules package's errors; `code` is stable for API/CLI mapping."""

    code = "rules_error"


class ProfileError(RulesError):
    """A profile is unknown or invalid; the message names the file, the key and the reason."""

    code = "profile_invalid"


class CalendarError(RulesError):
    """A calendar override file is invalid."""

    code = "calendar_invalid"
