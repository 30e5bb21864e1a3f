"""The `lanshou check` command body; the Typer app wires options to `check_command`.

Exit codes: 0 checked (violations are data, not failures); 2 unusable input or profile.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from lanshou.batch.check import render_table, run_check
from lanshou.batch.inputs import CheckInputError, ShipmentReader
from lanshou.domain.rules import Exemption, load_profile
from lanshou.domain.rules.errors import RulesError
from lanshou.errors import InvalidInput

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
    reader: ShipmentReader,
    now: dt.datetime | str | None = None,
    as_json: bool = False,
    lang: str = "zh-CN",
    out: TextIO | None = None,
    err: TextIO | None = None,
    *,
    rules_dirs: Sequence[str | Path] = (),
    exemptions: Callable[[], Sequence[Exemption]] = tuple,
) -> int:
    """Run a check, print JSON or a table, and return the process exit code.

    `profile` is looked up among the built-in profiles and `rules_dirs` (LANSHOU_RULES_DIR), as
    the database path does; `exemptions` is called inside, so a bad file is an input error.
    """
    out, err = out or sys.stdout, err or sys.stderr
    try:
        rules = load_profile(profile, tuple(rules_dirs))
        result = run_check(rules, reader, parse_now(now), exemptions())
    except (CheckInputError, InvalidInput, RulesError, ValueError) as exc:
        print(f"error: {exc}", file=err)
        return EXIT_INPUT
    if as_json:
        print(json.dumps(result.to_json_dict(), ensure_ascii=False, indent=2), file=out)
    else:
        print(render_table(result, lang), file=out)
    return EXIT_OK
