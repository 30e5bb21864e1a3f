"""The reader's text and time rules as DuckDB SQL, for the CSV fast path of ``lanshou check``.

Nothing here is a second definition of a rule: the time shapes are the patterns of
:mod:`lanshou.imports.dates` (``YEAR_FIRST``, ``YEAR_LAST``, ``EPOCH``, ``CJK_TIME``) translated
to RE2, and "trimmed" is Python's own ``str.strip()`` set of white space. The translation keeps
only ASCII digits (``\\d`` becomes ``[0-9]``), so SQL never accepts what Python would not; a value
only Python reads (Unicode digits, Unix seconds) makes the SQL path hand the whole file back to
the Python reader (see ``sql_csv``).
"""

from __future__ import annotations

import re
import sys
from datetime import datetime, timedelta, tzinfo
from functools import cache

from lanshou.batch import quote
from lanshou.imports.dates import CJK_TIME, EPOCH, PLAIN, YEAR_FIRST, YEAR_LAST, DateOrder

__all__ = [
    "TimeSql",
    "ambiguity_sql",
    "blank_sql",
    "epoch_sql",
    "fixed_offset",
    "non_ascii_sql",
    "sql_regex",
    "staged",
    "text_sql",
    "time_text_sql",
    "utc_sql",
    "white_space",
]

_PARTS = ["hh", "mi", "ss", "fr", "ap", "off"]
# Group names of the two patterns, in the patterns' group order.
_FIRST_GROUPS = ["y", "a", "b", *_PARTS]
_LAST_GROUPS = ["a", "b", "y", *_PARTS]
# `dates.PLAIN`'s shapes (a naive local time, with or without seconds).
_PLAIN_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"]


@cache
def white_space() -> str:
    """Every character ``str.strip()`` and the patterns' ``\\s`` remove or match."""
    return "".join(ch for ch in map(chr, range(sys.maxunicode + 1)) if ch.isspace())


def sql_regex(pattern: re.Pattern[str]) -> str:
    """A pattern of `dates` in RE2 syntax, matching ASCII digits only."""
    source = pattern.pattern.replace(r"\d", "[0-9]").replace(r"\s", f"[{_spaces()}]")
    return source


def _spaces() -> str:
    return "".join(f"\\x{{{ord(c):x}}}" for c in white_space())


def blank_sql(column: str) -> str:
    """True for a cell ``str.strip()`` empties."""
    return f"({column} IS NULL OR regexp_full_match({column}, '[{_spaces()}]*'))"


def text_sql(column: str) -> str:
    """A cell as the reader's ``_text`` sees it: trimmed, NULL when blank.

    ``trim`` with a set of characters costs several times a regular-expression test, and
    nearly every cell has nothing to trim: those are recognised and kept as they are. A cell
    has nothing to trim when its first and last characters (code points: ``left`` and
    ``right`` do not join graphemes) are not white space; an empty cell's are '', which every
    string contains, so it is trimmed to NULL. Half the cost of the regular expression
    ``[^S](?s:.*[^S])?`` that says the same."""
    spaces = quote(white_space())
    return (
        f"CASE WHEN NOT contains({spaces}, left({column}, 1)) "
        f"AND NOT contains({spaces}, right({column}, 1)) THEN {column} "
        f"ELSE nullif(trim({column}, {spaces}), '') END"
    )


def time_text_sql(text: str) -> str:
    """A trimmed cell as ``parse_time`` looks at it: CJK time words replaced, trimmed again."""
    src, dst = "".join(CJK_TIME), "".join(CJK_TIME.values())
    has_cjk = " OR ".join(f"contains({text}, {quote(c)})" for c in CJK_TIME)
    translated = text_sql(f"translate({text}, {quote(src)}, {quote(dst)})")
    return f"CASE WHEN {has_cjk} THEN {translated} ELSE {text} END"


def epoch_sql(text: str) -> str:
    """True for Unix seconds/milliseconds (read by Python only)."""
    return f"regexp_full_match({text}, {quote(sql_regex(EPOCH).strip('^$'))})"


def non_ascii_sql(text: str) -> str:
    return f"regexp_matches({text}, '[^\\x{{0}}-\\x{{7f}}]')"


def ambiguity_sql(text: str) -> str:
    """The (a, b) struct of a year-last date like 1/5/2024 (``dates.ambiguity``); '' if none."""
    return f"regexp_extract({text}, {quote(sql_regex(YEAR_LAST))}, ['a', 'b'])"


class TimeSql:
    """Parsing one time field in stages: each stage is a list of SELECT expressions over the
    columns of the stage before (``SELECT *, ... FROM (previous)``), so every regular
    expression and every part of a value is computed once.

    The last stage gives ``<name>_local`` (the wall-clock time as microseconds), ``<name>_off``
    (the written UTC offset in seconds, NULL for a naive time: the profile's zone applies),
    ``<name>_bad`` (text that is no time), ``<name>_undecided`` (a value only Python reads), and
    per column ``<name>_ea<i>``/``_eb<i>``/``_ev<i>``: the numbers and the cell of a year-last
    date, what ``scan_dates`` gathers as day/month order evidence."""

    def __init__(self, name: str, cells: list[tuple[str, DateOrder | None]]):
        self.name = name
        # (a column's cell, that column's day/month order), in the field's order
        self.cells = cells

    def stages(self) -> list[list[str]]:
        """The stages. The field's value is its first non-empty column, as ``RowReader.time``
        takes it, even if that text reads as no time at all."""
        n = self.name
        first, last = quote(sql_regex(YEAR_FIRST)), quote(sql_regex(YEAR_LAST))
        out: list[list[str]] = [[], [], [], [], [], [], []]
        whens: dict[str, list[str]] = {"local": [], "off": [], "bad": []}
        undecided = []
        for i, (cell, order) in enumerate(self.cells):
            s, t, f, lst = f"{n}_s{i}", f"{n}_t{i}", f"{n}_f{i}", f"{n}_l{i}"
            plain, e, g = f"{n}_p{i}", f"{n}_e{i}", f"{n}_g{i}"

            def gated(exprs: list[str], g: str = g) -> list[str]:
                """Computed only for the values the strptime shortcut did not read (a CASE
                evaluates its branch on those rows alone)."""
                out = []
                for expr in exprs:
                    body, _, alias = expr.rpartition(" AS ")
                    out.append(f"CASE WHEN {g} THEN {body} END AS {alias}")
                return out

            out[0].append(f"{text_sql(cell)} AS {s}")
            out[0].append(f"{cell} AS {n}_r{i}")
            # The shape nearly every export writes, as ``parse_time`` reads it first (`PLAIN`):
            # strptime, and the general stages only for the other values.
            out[1].append(
                f"CASE WHEN regexp_full_match({s}, {quote(PLAIN.pattern)}) "
                f"THEN epoch_us(try_strptime({s}, {_PLAIN_FORMATS})) END AS {plain}"
            )
            out[2].append(f"{plain} IS NULL AND {s} IS NOT NULL AS {g}")
            out[2] += gated([f"{time_text_sql(s)} AS {t}"])
            out[3] += gated(
                [
                    f"regexp_extract({t}, {first}, {_FIRST_GROUPS}) AS {f}",
                    f"CASE WHEN {t} IS NOT NULL AND NOT regexp_matches({t}, {first}) "
                    f"THEN regexp_extract({t}, {last}, {_LAST_GROUPS}) END AS {lst}",
                    # Evidence is read from the cell as written (``dates.ambiguity``).
                    f"{ambiguity_sql(s)} AS {e}",
                    f"{t} IS NOT NULL AND ({epoch_sql(t)} OR {non_ascii_sql(t)}) AS {n}_x{i}",
                ]
            )
            out[4] += gated(self._parts(i, order))
            out[4] += gated(
                [
                    f"CASE WHEN {e}.a <> '' THEN TRY_CAST({e}.a AS INT) END AS {n}_ea{i}",
                    f"CASE WHEN {e}.a <> '' THEN TRY_CAST({e}.b AS INT) END AS {n}_eb{i}",
                    f"CASE WHEN {e}.a <> '' THEN {n}_r{i} END AS {n}_ev{i}",
                ]
            )
            out[5] += gated(self._derived(i))
            for key, expr in zip(("local", "off", "bad"), self._result(i), strict=True):
                whens[key].append(f"WHEN {s} IS NOT NULL THEN {expr}")
            undecided.append(f"coalesce({n}_x{i}, false)")
        if not self.cells:
            out[6] = [
                f"NULL::BIGINT AS {n}_local",
                f"NULL::BIGINT AS {n}_off",
                f"false AS {n}_bad",
                f"false AS {n}_undecided",
            ]
        else:
            out[6] = [
                f"CASE {' '.join(whens['local'])} END AS {n}_local",
                f"CASE {' '.join(whens['off'])} END AS {n}_off",
                f"CASE {' '.join(whens['bad'])} ELSE false END AS {n}_bad",
                f"{' OR '.join(undecided)} AS {n}_undecided",
            ]
        return out

    def evidence(self) -> list[tuple[str, str, str]]:
        """Per column, the (a, b, cell) columns of its year-last evidence."""
        n = self.name
        return [(f"{n}_ea{i}", f"{n}_eb{i}", f"{n}_ev{i}") for i in range(len(self.cells))]

    def _parts(self, i: int, order: DateOrder | None) -> list[str]:
        """Stage 4: the numbers of the i-th column's value (NULL where there are none)."""
        n, f, lst = self.name, f"{self.name}_f{i}", f"{self.name}_l{i}"
        is_first = f"{f}.y <> ''"
        is_last = f"coalesce({lst}.y, '') <> ''"

        def part(p: str) -> str:
            return f"(CASE WHEN {is_first} THEN {f}.{p} ELSE {lst}.{p} END)"

        def num(p: str) -> str:
            return f"coalesce(TRY_CAST(nullif({part(p)}, '') AS BIGINT), 0)"

        a, b = f"TRY_CAST({lst}.a AS BIGINT)", f"TRY_CAST({lst}.b AS BIGINT)"
        if order == "dmy":
            month_last, day_last, ambiguous = b, a, "false"
        elif order is not None:  # mdy, and ymd for a year-last value (as parse_time reads it)
            month_last, day_last, ambiguous = a, b, "false"
        else:
            day_first = f"{a} > 12"
            month_last = f"CASE WHEN {day_first} THEN {b} ELSE {a} END"
            day_last = f"CASE WHEN {day_first} THEN {a} ELSE {b} END"
            ambiguous = f"({a} <= 12 AND {b} <= 12 AND {a} <> {b})"
        return [
            f"CASE WHEN {is_first} THEN 1 WHEN {is_last} THEN 2 ELSE 0 END AS {n}_k{i}",
            f"TRY_CAST({part('y')} AS BIGINT) AS {n}_y{i}",
            f"CASE WHEN {is_first} THEN TRY_CAST({f}.a AS BIGINT) ELSE {month_last} END"
            f" AS {n}_mo{i}",
            f"CASE WHEN {is_first} THEN TRY_CAST({f}.b AS BIGINT) ELSE {day_last} END AS {n}_d{i}",
            f"CASE WHEN {is_last} THEN {ambiguous} ELSE false END AS {n}_am{i}",
            f"{num('hh')} AS {n}_hr{i}",
            f"lower({part('ap')}) AS {n}_ap{i}",
            f"{num('mi')} AS {n}_mi{i}",
            f"{num('ss')} AS {n}_sc{i}",
            f"CASE WHEN {part('fr')} = '' THEN 0 "
            f"ELSE TRY_CAST(rpad({part('fr')}, 6, '0') AS BIGINT) END AS {n}_mc{i}",
            f"{part('off')} AS {n}_of{i}",
        ]

    def _derived(self, i: int) -> list[str]:
        """Stage 5: the 24-hour clock and the offset's hours and minutes."""
        n = self.name
        ap, raw_hour, off = f"{n}_ap{i}", f"{n}_hr{i}", f"{n}_of{i}"
        digits = f"replace(substr({off}, 2), ':', '')"
        return [
            f"CASE WHEN {ap} = '' THEN {raw_hour} "
            f"ELSE {raw_hour} % 12 + CASE WHEN {ap} = 'pm' THEN 12 ELSE 0 END END AS {n}_h{i}",
            f"{off} IN ('Z', 'z', 'UTC', 'GMT') AS {n}_on{i}",
            f"TRY_CAST(substr({digits}, 1, 2) AS BIGINT) AS {n}_oh{i}",
            f"coalesce(TRY_CAST(nullif(substr({digits}, 3), '') AS BIGINT), 0) AS {n}_om{i}",
        ]

    def _result(self, i: int) -> tuple[str, str, str]:
        """Stage 6: (wall-clock microseconds, offset seconds, bad) of the i-th column."""
        n = self.name
        y, mo, d, h = f"{n}_y{i}", f"{n}_mo{i}", f"{n}_d{i}", f"{n}_h{i}"
        mi, sc, ap, off = f"{n}_mi{i}", f"{n}_sc{i}", f"{n}_ap{i}", f"{n}_of{i}"
        named, oh, om = f"{n}_on{i}", f"{n}_oh{i}", f"{n}_om{i}"
        # Arithmetic only: a projection evaluates both sides of AND, so nothing here may raise.
        leap = f"({y} % 4 = 0 AND ({y} % 100 <> 0 OR {y} % 400 = 0))"
        month_days = (
            f"CASE WHEN {mo} = 2 THEN CASE WHEN {leap} THEN 29 ELSE 28 END "
            f"WHEN {mo} IN (4, 6, 9, 11) THEN 30 ELSE 31 END"
        )
        date_ok = f"{y} >= 1 AND {mo} BETWEEN 1 AND 12 AND {d} >= 1 AND {d} <= {month_days}"
        time_ok = (
            f"{h} <= 23 AND {mi} <= 59 AND {sc} <= 59 AND "
            f"({ap} = '' OR {n}_hr{i} BETWEEN 1 AND 12) AND "
            f"({off} = '' OR {named} OR ({oh} <= 23 AND {om} <= 59))"
        )
        good = (
            f"({n}_k{i} > 0 AND NOT {n}_am{i} AND "
            f"CASE WHEN {date_ok} THEN {time_ok} ELSE false END)"
        )
        offset = (
            f"CASE WHEN {off} = '' THEN NULL WHEN {named} THEN 0 "
            f"ELSE (CASE WHEN {off} LIKE '-%' THEN -1 ELSE 1 END) * ({oh} * 3600 + {om} * 60)"
            " END"
        )
        local_us = (
            f"epoch_us(CAST(make_date({y}, {mo}, {d}) AS TIMESTAMP)) + "
            f"(({h} * 60 + {mi}) * 60 + {sc}) * 1000000 + {n}_mc{i}"
        )
        t, plain = f"{n}_t{i}", f"{n}_p{i}"
        local = (
            f"CASE WHEN {plain} IS NOT NULL THEN {plain} "
            f"WHEN {t} IS NOT NULL AND {good} THEN {local_us} END"
        )
        general = f"{n}_g{i} AND {t} IS NOT NULL"
        off_seconds = f"CASE WHEN {general} THEN CASE WHEN {good} THEN {offset} END END"
        bad = f"CASE WHEN {general} THEN NOT coalesce({good}, false) ELSE false END"
        return local, off_seconds, bad


def utc_sql(name: str, tz_seconds: int) -> str:
    """A parsed time field as TIMESTAMPTZ: naive times in a zone of fixed offset `tz_seconds`."""
    return f"make_timestamptz({name}_local - coalesce({name}_off, {tz_seconds}) * 1000000)"


def staged(rows: str, columns: list[str], times: list[TimeSql]) -> str:
    """``SELECT line, columns`` over the non-blank `rows`, with each time field's stages."""
    stages = [t.stages() for t in times]
    query = f"SELECT {', '.join(['line', *columns, *(e for st in stages for e in st[0])])} "
    query += f"FROM ({rows}) WHERE NOT blank"
    for k in range(1, max((len(st) for st in stages), default=0)):
        exprs = [e for st in stages for e in st[k]]
        query = f"SELECT *, {', '.join(exprs)} FROM ({query})"
    return query


def fixed_offset(tz: tzinfo, first_year: int | None, last_year: int | None) -> int | None:
    """The zone's UTC offset in seconds if it is the same on every day of the years given (and
    the year on either side), else None: then naive times need the Python reader's zone rules."""
    if first_year is None or last_year is None:
        return _offset_at(tz, datetime(2000, 1, 1))  # noqa: DTZ001 — naive on purpose
    start, end = max(1, first_year - 1), min(9999, last_year + 1)
    if end - start > 200:
        return None
    day = datetime(start, 1, 1, 12)  # noqa: DTZ001 — a local wall time, zone added below
    stop = datetime(end, 12, 31, 12)  # noqa: DTZ001
    seen = _offset_at(tz, day)
    while day < stop:
        day += timedelta(days=1)
        if _offset_at(tz, day) != seen:
            return None
    return seen


def _offset_at(tz: tzinfo, naive: datetime) -> int | None:
    offset = naive.replace(tzinfo=tz).utcoffset()
    return int(offset.total_seconds()) if offset is not None else None
