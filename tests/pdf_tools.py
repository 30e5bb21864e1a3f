"""Read a PDF as a person's viewer does, with poppler-utils (installed by
scripts/test-services.sh): its text, its fonts, its pages as PNG."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.conftest import missing_service


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        missing_service(f"{name} (Debian package poppler-utils)")
    assert path is not None
    return path


def _run(tool: str, pdf: bytes, *args: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(pdf)
        return subprocess.run(
            [_tool(tool), *args, str(path), "-"], check=True, capture_output=True, text=True
        ).stdout


def pdf_text(pdf: bytes) -> str:
    """The text in reading order, one table row a line (pdftotext -layout)."""
    return _run("pdftotext", pdf, "-layout")


def pdf_lines(pdf: bytes) -> list[str]:
    """The non-empty lines of the text, each with its runs of spaces (table columns) made one."""
    return [" ".join(line.split()) for line in pdf_text(pdf).splitlines() if line.strip()]


def pdf_fonts(pdf: bytes) -> list[dict[str, str]]:
    """pdffonts' table: name, type, emb(edded), sub(set), uni(code map) per font."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(pdf)
        out = subprocess.run(
            [_tool("pdffonts"), str(path)], check=True, capture_output=True, text=True
        ).stdout
    rows = []
    for line in out.splitlines()[2:]:
        # The name has no spaces; the type may ("TrueType", "CID TrueType", "Type 1").
        parts = line.split()
        rows.append(
            {
                "name": parts[0],
                "type": " ".join(parts[1:-6]),
                "emb": parts[-5],
                "sub": parts[-4],
                "uni": parts[-3],
            }
        )
    return rows


def pdf_pages_png(pdf: bytes, out_dir: Path, dpi: int = 80) -> list[Path]:
    """Each page rendered to PNG (pdftoppm), as a viewer would show it."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "doc.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        [_tool("pdftoppm"), "-r", str(dpi), "-png", str(path), str(out_dir / "page")], check=True
    )
    return sorted(out_dir.glob("page-*.png"))
