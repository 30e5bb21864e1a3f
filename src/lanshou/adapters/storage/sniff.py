"""What a file really is, from its bytes; the name only has to agree.

Binary formats are recognised by ``filetype``; AMR, HTML and plain text (which have weak or no
magic numbers) by small checks here. An upload is refused when the bytes are not an accepted
type, or when the name's extension claims a different type than the bytes (HTML named .jpg).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import filetype

__all__ = ["ACCEPTED", "Sniffed", "UnacceptableFile", "sanitise_filename", "sniff"]


@dataclass(frozen=True)
class Sniffed:
    media_type: str
    kind: str  # image, pdf, audio, chat
    extensions: frozenset[str]

    @property
    def inline_safe(self) -> bool:
        """Whether a browser may show it inline; everything else is served as an attachment."""
        return self.kind in ("image",)


def _t(media_type: str, kind: str, *ext: str) -> Sniffed:
    return Sniffed(media_type, kind, frozenset(ext))


ACCEPTED: dict[str, Sniffed] = {
    s.media_type: s
    for s in (
        _t("image/jpeg", "image", "jpg", "jpeg"),
        _t("image/png", "image", "png"),
        _t("image/webp", "image", "webp"),
        _t("application/pdf", "pdf", "pdf"),
        _t("audio/mpeg", "audio", "mp3"),
        _t("audio/mp4", "audio", "m4a"),
        _t("audio/amr", "audio", "amr"),
        _t("text/plain", "chat", "txt"),
        _t("text/html", "chat", "html", "htm"),
        _t("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "chat", "xlsx"),
    )
}
_ALL_EXTENSIONS = frozenset().union(*(s.extensions for s in ACCEPTED.values()))
_HTML = re.compile(rb"<\s*(!doctype\s+html|html|head|body|script|iframe|svg)\b", re.IGNORECASE)


class UnacceptableFile(Exception):
    """The bytes are not an accepted type, or the name claims another type."""


def _as_text(data: bytes) -> str | None:
    if b"\x00" in data[:8192]:
        return None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _detect(data: bytes) -> str | None:
    if data.startswith(b"#!AMR"):
        return "audio/amr"
    guess: str | None = filetype.guess_mime(data)
    if guess == "video/mp4" and b"ftypM4A" in data[:32]:
        guess = "audio/mp4"
    if guess is not None:
        return guess
    text = _as_text(data)
    if text is None:
        return None
    if _HTML.search(data[:4096]):
        return "text/html"
    if all(ch.isprintable() or ch in "\r\n\t\f" for ch in text[:8192]):
        return "text/plain"
    return None


def sniff(data: bytes, filename: str) -> Sniffed:
    """The accepted type of ``data``; raises :class:`UnacceptableFile` with the reason."""
    if not data:
        raise UnacceptableFile("the file is empty")
    media_type = _detect(data)
    found = ACCEPTED.get(media_type or "")
    if found is None:
        raise UnacceptableFile(
            f"content type {media_type or 'unknown'} is not accepted; "
            f"accepted: {', '.join(sorted(ACCEPTED))}"
        )
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if ext and ext not in found.extensions and (ext in _ALL_EXTENSIONS or found.kind != "chat"):
        raise UnacceptableFile(f"the name says .{ext} but the content is {found.media_type}")
    return found


_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")


def sanitise_filename(name: str, fallback: str = "file") -> str:
    """A display name with no directories, control characters or leading dots."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = _UNSAFE.sub("_", name).strip().lstrip(".").strip()
    if not name or set(name) <= {"_", "."}:
        name = fallback
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 200 - len(ext) - 1] + "." + ext) if dot and len(ext) < 10 else name[:200]
    return name
