"""The `lanshou check` command body; the Typer app wires options to `check_command`.

Exit codes: 0 checked (violations are data, not failures); 2 unusable input or profile.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import TextIO

from lanshou.batch.check import render_table, run_check
from lanshou.batch.readers import CheckInputError
from lanshou.domain.rules.errors import RulesError

__all__ = ["EXIT_INPUT", "EXIT_OK", "check_command", "parse_now"]

EXIT_OK = 0
EXIT_INPUT = 2


def parse_now(value: dt.datetime | str | None) -> dt.datetime:
    """`--now` as ISO 8601 with an offset; absent means the current instant (UTC)."""
    if value is None:
        return dt.datetime.now(dt.UTC)  # the entry point owns the clock, the domain never does
    parsed = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise CheckInputError(f"--now {value!s} needs an offset, e.g. 2026-03-01T12:00:00+08:00")
    return parsed


def check_command(
    profile: str,
    source: str,
    orders: str | Path,
    items: str | Path | None = None,
    tracking: str | Path | None = None,
    now: dt.datetime | str | None = None,
    as_json: bool = False,
    lang: str = "zh-CN",
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run a check, print JSON or a table, and return the process exit code."""
    out, err = out or sys.stdout, err or sys.stderr
    try:
        result = run_check(profile, source, orders, items, tracking, parse_now(now))
    except (CheckInputError, RulesError, ValueError) as exc:
        print(f"error: {exc}", file=err)
        return EXIT_INPUT
    if as_json:
        print(json.dumps(result.to_json_dict(), ensure_ascii=False, indent=2), file=out)
    else:
        print(render_table(result, lang), file=out)
    return EXIT_OK
