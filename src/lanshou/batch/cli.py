"""The `lanshou check` command body; the Typer app wires options to `check_command`.

Exit codes: 0 checked (violations are data, not failures); 2 unusable input, profile or output.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

import duckdb

from lanshou.batch.check import run_check
from lanshou.batch.inputs import CheckInputError, Reason, ShipmentReader
from lanshou.batch.output import (
    XLSX_MAX_ROWS,
    FileWritten,
    output_format,
    write_file,
    write_json,
)
from lanshou.batch.progress import stages_for
from lanshou.batch.table import render_table
from lanshou.clock import SystemClock
from lanshou.domain.rules import Exemption, load_profile
from lanshou.domain.rules.errors import RulesError
from lanshou.errors import InvalidInput
from lanshou.i18n import normalize_locale, translate

__all__ = ["EXIT_INPUT", "EXIT_OK", "check_command", "parse_now", "worded"]


def worded(exc: InvalidInput, locale: str | None) -> str:
    """An input error's message in `locale` when it carries a reason (``details["reason"]``,
    e.g. a file's dates in no telling order), else as raised."""
    reason = exc.details.get("reason")
    return reason.text(locale) if isinstance(reason, Reason) else exc.message


EXIT_OK = 0
EXIT_INPUT = 2


def parse_now(value: dt.datetime | str | None) -> dt.datetime:
    """`--now` as ISO 8601 with an offset; absent means the current instant (UTC)."""
    if value is None:
        return SystemClock().now()  # the entry point owns the clock, the domain never does
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
    out_file: Path | None = None,
    limit: int = 50,
    xlsx_max_rows: int = XLSX_MAX_ROWS,
    notes: Callable[[str | None], Sequence[str]] = lambda _locale: (),
) -> int:
    """Run a check; print JSON or a table, write `out_file` if given; return the exit code.

    `profile` is looked up among the built-in profiles and `rules_dirs` (LANSHOU_RULES_DIR), as
    the database path does; `exemptions` is called inside, so a bad file is an input error.
    `notes` gives the reader's warnings in a language once it has read (the buyer phones
    without a tail, as `import orders` says): under the summary, or on `err` with `--json`.
    """
    out, err = out or sys.stdout, err or sys.stderr
    locale = normalize_locale(lang)
    if out_file is not None and output_format(out_file) is None:
        msg = "%(path)s: --out writes .jsonl, .csv, .parquet or .xlsx"
        print(f"lanshou: {translate(locale, msg, path=out_file)}", file=err)
        return EXIT_INPUT
    stages, writing = stages_for(err), translate(locale, "Writing violations")
    try:
        with stages.stage(translate(locale, "Reading and evaluating")):
            rules = load_profile(profile, tuple(rules_dirs))
            result = run_check(rules, reader, parse_now(now), exemptions())
    except CheckInputError as exc:
        print(f"lanshou: {exc.text(locale)}", file=err)
        return EXIT_INPUT
    except InvalidInput as exc:
        print(f"lanshou: {worded(exc, locale)}", file=err)
        return EXIT_INPUT
    except (RulesError, ValueError) as exc:
        print(f"lanshou: {exc}", file=err)
        return EXIT_INPUT
    warnings = list(notes(locale))
    with result:
        if out_file is not None:
            try:
                with stages.stage(writing, result.violation_rows) as advance:
                    written = write_file(result, out_file, advance, xlsx_max_rows)
            except (OSError, duckdb.Error) as exc:
                print(f"lanshou: {out_file}: {exc}", file=err)
                return EXIT_INPUT
            if written.left_out:
                print(_left_out(locale, written, result.violation_rows, xlsx_max_rows), file=err)
        if as_json:
            with stages.stage(writing, result.violation_rows) as advance:
                write_json(result, out, advance, locale)
            for line in warnings:
                print(line, file=err)
        else:
            print(render_table(result, lang, limit, warnings), file=out)
    return EXIT_OK


def _left_out(locale: str | None, written: FileWritten, total: int, max_rows: int) -> str:
    msg = (
        "An .xlsx sheet holds at most %(limit)s rows: %(written)s of %(total)s "
        "violations written to %(path)s, %(left_out)s left out. Write .csv, .jsonl "
        "or .parquet to keep them all."
    )
    return translate(
        locale,
        msg,
        limit=f"{max_rows:,}",
        written=f"{written.rows:,}",
        total=f"{total:,}",
        path=written.path,
        left_out=f"{written.left_out:,}",
    )
