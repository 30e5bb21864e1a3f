"""The pieces of the dossier that need no database: what was booked and recovered (money and
points apart), hashes wrapped at fixed groups, text the shipped font lacks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from reportlab.lib.units import mm

from lanshou.adapters.db.models import LedgerEntry
from lanshou.appeals.explanation import span
from lanshou.appeals.pdf_font import FALLBACK, markup
from lanshou.appeals.pdf_parts import SMALL, SMALL_WORDS, grouped_hash, table_cell
from lanshou.appeals.penalty import KindPenalty, penalty_of, points_text
from lanshou.appeals.wording import ledger_note

AT = datetime(2026, 11, 3, 4, tzinfo=UTC)


def _entry(
    id_: int, kind: str, fen: int, memo: str, points: str = "0", reverses: int | None = None
) -> LedgerEntry:
    return LedgerEntry(
        id=id_,
        shop_id=1,
        violation_id=7,
        kind=kind,
        amount_fen=fen,
        points=Decimal(points),
        reverses_id=reverses,
        booked_at=AT,
        memo=memo,
    )


def test_booked_and_recovered_keep_points_out_of_money() -> None:
    entries = [
        _entry(1, "compensation", 300, "pickup_timeout compensation"),
        _entry(2, "fine", 1000, "pickup_timeout fine"),
        _entry(3, "points", 0, "pickup_timeout points", points="2"),
        # A re-evaluation lowered the fine before the appeal: that is not the appeal's doing.
        _entry(4, "fine", -1000, "reversal: pickup_timeout fine", reverses=2),
        _entry(5, "fine", 800, "pickup_timeout fine"),
        _entry(6, "compensation", -300, "reversal: appeal 9 approved 申诉通过", reverses=1),
        _entry(7, "fine", -800, "reversal: appeal 9 approved 申诉通过", reverses=5),
        _entry(8, "points", 0, "reversal: appeal 9 approved 申诉通过", points="-2", reverses=3),
    ]
    p = penalty_of(entries)
    assert p.money == [KindPenalty("compensation", 300, 300), KindPenalty("fine", 800, 800)]
    assert (p.booked_fen, p.recovered_fen, p.net_fen) == (1100, 1100, 0)
    assert (p.points_booked, p.points_restored, p.points_net) == (Decimal(2), Decimal(2), 0)
    unappealed = penalty_of(entries[:3])
    assert (unappealed.booked_fen, unappealed.recovered_fen, unappealed.net_fen) == (1300, 0, 1300)
    assert (unappealed.points_booked, unappealed.points_restored) == (Decimal(2), Decimal(0))
    assert penalty_of([]).empty


def test_points_are_written_without_trailing_zeros() -> None:
    assert [points_text(Decimal(x)) for x in ("2.00", "0.10", "12", "0")] == ["2", "0.1", "12", "0"]


def test_a_hash_wraps_between_groups_of_eight() -> None:
    digest = "0123456789abcdef" * 4
    assert grouped_hash(digest) == (
        "01234567 89abcdef 01234567 89abcdef\n01234567 89abcdef 01234567 89abcdef"
    )
    assert grouped_hash(digest, per_line=8).count("\n") == 0


def test_characters_the_shipped_font_lacks_are_set_in_the_fallback() -> None:
    assert markup("王堃 <b>&\n申诉") == (
        f'王<font name="{FALLBACK}">堃</font> &lt;b&gt;&amp;<br/>申诉'
    )


def test_ledger_notes_are_words_in_the_users_language() -> None:
    booked = _entry(1, "fine", 1000, "pickup_timeout fine")
    reversal = _entry(6, "fine", -1000, "reversal: appeal 9 approved 申诉通过", reverses=1)
    odd = _entry(9, "fine", 100, "manual correction")
    assert ledger_note("zh_CN", booked, "pickup_timeout", "揽收超时") == "揽收超时 · 罚款"
    assert ledger_note("en", booked, "pickup_timeout", "Pickup timeout") == "Pickup timeout · Fine"
    assert ledger_note("zh_CN", reversal, "pickup_timeout", "揽收超时") == "冲销 #1：申诉 #9 通过"
    assert (
        ledger_note("en", reversal, "pickup_timeout", "x", say_reversal=False)
        == "Appeal #9 approved"
    )
    assert ledger_note("en", odd, "pickup_timeout", "x") == "manual correction"


def test_spans_read_as_days_hours_or_minutes() -> None:
    cases = [timedelta(days=1, minutes=5), timedelta(hours=3, minutes=5), timedelta(minutes=11)]
    assert [span("zh_CN", d) for d in cases] == ["1天0小时", "3小时05分", "11分钟"]
    assert [span("en", d) for d in cases] == ["1d 0h", "3h 05m", "11 min"]


def test_english_table_cells_break_between_words_and_chinese_anywhere() -> None:
    """'System evidence' in a 26 mm column once rendered as 'System evidenc / e'."""
    column = 26 * mm
    assert table_cell("System evidence", column).style is SMALL_WORDS
    assert table_cell("系统证据", column).style is SMALL  # Chinese wraps between any characters
    # a word longer than the cell still wraps inside it rather than overflowing
    assert table_cell("a-very-long-file-name-without-spaces.json", column).style is SMALL
