"""Build the dossier PDF's font: Noto Sans CJK SC Regular (SIL OFL 1.1), subset to the characters
of GB 2312 plus Latin and punctuation, with its CFF outlines converted to TrueType
(ReportLab embeds only TrueType outlines).

Run once when the font should change, with fontTools available (it is not a runtime dependency):

    pip install --target /tmp/ft fonttools
    PYTHONPATH=/tmp/ft python3 scripts/build-dossier-font.py \
        /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc \
        src/lanshou/appeals/fonts/NotoSansCJKsc-Regular-GB2312.ttf

The source is Debian's fonts-noto-cjk (upstream: the Noto CJK project). Its only Reserved Font
Name is "Source", which the subset does not use; the OFL text ships beside the font.
"""

from __future__ import annotations

import sys

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable

# cu2qu's tolerance in font units of a 1000-unit em: invisible at any print size.
MAX_ERR = 1.0


def characters() -> list[int]:
    """Printable ASCII and Latin-1, general and CJK punctuation, full-width forms, and every
    character GB 2312 encodes (its 6,763 Han cover everyday simplified Chinese; the PDF draws
    the rare rest in a reader-supplied font, see lanshou.appeals.pdf_font)."""
    points = set(range(0x20, 0x7F)) | set(range(0xA0, 0x100))
    points |= set(range(0x2000, 0x2070)) | set(range(0x2190, 0x2200))  # punctuation, arrows
    points |= set(range(0x3000, 0x3040)) | set(range(0xFF00, 0xFFF0))  # CJK punctuation, full-width
    for lead in range(0xA1, 0xF8):
        for trail in range(0xA1, 0xFF):
            try:
                points.add(ord(bytes((lead, trail)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return sorted(points)


def to_truetype(font: TTFont) -> None:
    """Replace the CFF table by glyf/loca (quadratic curves), as fontTools' otf2ttf does."""
    glyph_set = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = font.getGlyphOrder()
    glyf.glyphs = {}
    for name in font.getGlyphOrder():
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, MAX_ERR, reverse_direction=True))
        glyf[name] = pen.glyph()
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    font["maxp"] = newTable("maxp")
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for attr in [
        "maxZones",
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ]:
        setattr(maxp, attr, 0)
    maxp.maxZones = 1
    font["head"].glyphDataFormat = 0
    font["post"].formatType = 2.0
    font["post"].extraNames = []
    font["post"].mapping = {}
    font["post"].glyphOrder = None
    font.sfntVersion = "\x00\x01\x00\x00"


def main(source: str, target: str) -> None:
    # Face 2 of Debian's NotoSansCJK-Regular.ttc is "Noto Sans CJK SC" (checked below).
    font = TTFont(source, fontNumber=2)
    family = font["name"].getDebugName(1)
    if family != "Noto Sans CJK SC":
        sys.exit(f"face 2 of {source} is {family!r}, not Noto Sans CJK SC")
    options = subset.Options()
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.hinting = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=characters())
    subsetter.subset(font)
    to_truetype(font)
    font.save(target)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
