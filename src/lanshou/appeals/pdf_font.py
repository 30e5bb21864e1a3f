"""The dossier PDF's font: Noto Sans CJK SC (SIL OFL 1.1) shipped in this package as a GB 2312
subset with TrueType outlines (fonts/, built by scripts/build-dossier-font.py), so the PDF embeds
the glyphs it uses and renders the same in every viewer, with no system font at run time.

A character outside the shipped subset (a rare name character, say) is drawn in ReportLab's
STSong-Light, a CID font PDF readers supply themselves: shown, though not embedded, rather
than lost as an empty box."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont

FONT = "NotoSansCJKsc"
FALLBACK = "STSong-Light"
FONT_FILE = Path(__file__).parent / "fonts" / "NotoSansCJKsc-Regular-GB2312.ttf"


@cache
def register() -> frozenset[int]:
    """Register both fonts once per process; the code points the shipped font covers."""
    font = TTFont(FONT, str(FONT_FILE))
    pdfmetrics.registerFont(font)
    pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK))
    return frozenset(font.face.charToGlyph)


def markup(text: str) -> str:
    """``text`` escaped for a ReportLab paragraph, runs the shipped font lacks set in the
    fallback font, line breaks kept."""
    covered = register()
    out: list[str] = []
    run: list[str] = []
    for ch in text:
        if ch == "\n" or ord(ch) in covered or ch.isspace():
            run.append(ch)
            continue
        if run:
            out.append(escape("".join(run)))
            run = []
        out.append(f'<font name="{FALLBACK}">{escape(ch)}</font>')
    out.append(escape("".join(run)))
    return "".join(out).replace("\n", "<br/>")
