"""Capture time and GPS position from a photo's EXIF, when the camera wrote them."""

from __future__ import annotations

import io
from datetime import datetime
from fractions import Fraction
from typing import Any

from PIL import Image, UnidentifiedImageError

__all__ = ["photo_metadata"]

_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_DATETIME_ORIGINAL, _DATETIME = 0x9003, 0x0132
_OFFSET_ORIGINAL = 0x9011


def _float(value: Any) -> float:
    return float(Fraction(value)) if not isinstance(value, float) else value


def _dms(values: Any, ref: Any) -> float | None:
    try:
        d, m, s = (_float(v) for v in values)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    sign = -1 if str(ref).upper() in ("S", "W") else 1
    return round(sign * (d + m / 60 + s / 3600), 7)


def _captured(exif: Any) -> str | None:
    sub = exif.get_ifd(_EXIF_IFD)
    raw = sub.get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
    if not raw:
        return None
    try:
        # EXIF times are camera-local; kept naive with the offset appended when the camera gave one.
        parsed = datetime.strptime(str(raw).strip("\x00 "), "%Y:%m:%d %H:%M:%S")  # noqa: DTZ007
    except ValueError:
        return None
    offset = sub.get(_OFFSET_ORIGINAL)
    return parsed.isoformat() + (str(offset).strip("\x00 ") if offset else "")


def photo_metadata(data: bytes) -> dict[str, Any]:
    """``{"width", "height", "captured_at"?, "gps"?: {"lat", "lon"}}``; empty if unreadable."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            out: dict[str, Any] = {"width": img.width, "height": img.height}
            exif = img.getexif()
    except (UnidentifiedImageError, OSError, ValueError):
        return {}
    if captured := _captured(exif):
        out["captured_at"] = captured
    gps = exif.get_ifd(_GPS_IFD)
    if gps:
        lat, lon = _dms(gps.get(2), gps.get(1)), _dms(gps.get(4), gps.get(3))
        if lat is not None and lon is not None:
            out["gps"] = {"lat": lat, "lon": lon}
    return out
