"""Building blocks of the dossier PDF: styles in the embedded font, tables of paragraphs, photo
thumbnails with their capture time and hash, and hashes wrapped at fixed groups."""

from __future__ import annotations

import io
import re
from typing import Any

from PIL import Image, ImageOps
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Paragraph, Table, TableStyle
from reportlab.platypus import Image as PdfImage

from lanshou.appeals.pdf_font import FONT, markup, register

register()
BODY = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=14, wordWrap="CJK")
H1 = ParagraphStyle("h1", parent=BODY, fontSize=16, leading=22, spaceAfter=4)
H2 = ParagraphStyle(
    "h2", parent=BODY, fontSize=12, leading=17, spaceBefore=9, spaceAfter=4, keepWithNext=True
)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=8, leading=11)
# Hashes break only between their groups: plain (not CJK) wrapping breaks at spaces alone.
HASH = ParagraphStyle("hash", parent=SMALL, wordWrap=None, textColor=colors.Color(0.3, 0.3, 0.3))
# Words without Han characters ("System evidence") break at spaces only, when each word fits.
SMALL_WORDS = ParagraphStyle("small_words", parent=SMALL, wordWrap=None)
LABEL = ParagraphStyle("label", parent=BODY, textColor=colors.Color(0.35, 0.35, 0.35))

THUMB_W, THUMB_H = 52 * mm, 40 * mm
# A table sets its cells' font even around paragraphs; ReportLab's default is Helvetica, which
# would then be listed in the PDF without being embedded.
CELL_FONT = ("FONTNAME", (0, 0), (-1, -1), FONT)
GRID = colors.Color(0.7, 0.7, 0.7)
HEAD_BG = colors.Color(0.93, 0.93, 0.93)


def p(text: object, style: ParagraphStyle = BODY) -> Paragraph:
    return Paragraph(markup(str(text) if text not in (None, "") else "—"), style)


def grouped_hash(digest: str, group: int = 8, per_line: int = 4) -> str:
    """'3a7bd3e2 360a3d29 …' in lines of ``per_line`` groups: copyable, never cut mid-group."""
    groups = [digest[i : i + group] for i in range(0, len(digest), group)]
    lines = [" ".join(groups[i : i + per_line]) for i in range(0, len(groups), per_line)]
    return "\n".join(lines)


_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_CELL_PADDING = 12  # points: a table cell's left and right padding together


def table_cell(value: object, width: float) -> Flowable:
    """A table cell's paragraph: CJK wrapping (anywhere) for Chinese and for a word longer
    than the cell, so nothing overflows; otherwise English breaks between words only."""
    if isinstance(value, Flowable):
        return value
    text = str(value) if value not in (None, "") else "—"
    room = width - _CELL_PADDING
    if not _HAN.search(text) and all(
        stringWidth(word, FONT, SMALL.fontSize) <= room for word in text.split()
    ):
        return p(value, SMALL_WORDS)
    return p(value, SMALL)


def table(rows: list[list[Any]], widths: list[float], header: bool = True) -> Table:
    cells = [[table_cell(c, w) for c, w in zip(row, widths, strict=False)] for row in rows]
    t = Table(cells, colWidths=widths, repeatRows=1 if header else 0, hAlign="LEFT")
    style = [
        CELL_FONT,
        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), HEAD_BG))
    t.setStyle(TableStyle(style))
    return t


def facts_table(rows: list[tuple[str, object]], label_width: float, value_width: float) -> Table:
    """Label / value pairs, labels shaded: the case's facts and the 判定说明 lines."""
    t = Table(
        [[p(k, LABEL), p(v)] for k, v in rows], colWidths=[label_width, value_width], hAlign="LEFT"
    )
    t.setStyle(
        TableStyle(
            [
                CELL_FONT,
                ("GRID", (0, 0), (-1, -1), 0.4, GRID),
                ("BACKGROUND", (0, 0), (0, -1), HEAD_BG),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return t


def thumbnail(data: bytes) -> PdfImage | None:
    """The photo scaled into THUMB_W × THUMB_H (upright, aspect kept) as a JPEG; None when it
    cannot be read (the file is still listed with its hash)."""
    try:
        with Image.open(io.BytesIO(data)) as original:
            img = ImageOps.exif_transpose(original).convert("RGB")
            scale = 4  # pixels per point: sharp in print, small in the file
            img.thumbnail((int(THUMB_W * scale), int(THUMB_H * scale)))
            out = io.BytesIO()
            img.save(out, "JPEG", quality=85)
            w, h = img.size
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    ratio = min(THUMB_W / w, THUMB_H / h)
    out.seek(0)
    return PdfImage(out, width=w * ratio, height=h * ratio)
