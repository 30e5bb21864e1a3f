"""Small, dependency-free SVG charts for the weekly HTML report (no JavaScript needed)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

PALETTE = ("#d9534f", "#f0ad4e", "#5b8def", "#3fa66b", "#8e6bd8", "#7a8797")


def stacked_bars(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    width: int = 640,
    height: int = 260,
    unit: str = "¥",
) -> str:
    """Vertical bars, one per label, stacked by series, with a legend and a y-axis maximum."""
    pad_l, pad_b, pad_t = 56, 36, 30
    n = max(len(labels), 1)
    totals = [sum(s[1][i] for s in series) for i in range(len(labels))]
    top = max([*totals, 1e-9])
    plot_w, plot_h = width - pad_l - 12, height - pad_b - pad_t
    bar_w = plot_w / n * 0.7
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
        f'<line x1="{pad_l}" y1="{pad_t + plot_h}" x2="{width - 12}" y2="{pad_t + plot_h}" '
        'stroke="#999"/>',
        f'<text x="{pad_l - 6}" y="{pad_t + 4}" text-anchor="end" fill="#555">'
        f"{unit}{top:,.0f}</text>",
        f'<text x="{pad_l - 6}" y="{pad_t + plot_h}" text-anchor="end" fill="#555">0</text>',
    ]
    for i, label in enumerate(labels):
        x = pad_l + plot_w / n * i + (plot_w / n - bar_w) / 2
        y = float(pad_t + plot_h)
        for k, (_name, values) in enumerate(series):
            h = values[i] / top * plot_h
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[k % len(PALETTE)]}"/>'
            )
        parts.append(
            f'<text x="{x + bar_w / 2:.1f}" y="{pad_t + plot_h + 14}" '
            f'text-anchor="middle" fill="#333">{escape(label)}</text>'
        )
    x = pad_l
    for k, (name, _values) in enumerate(series):
        parts.append(
            f'<rect x="{x}" y="8" width="10" height="10" '
            f'fill="{PALETTE[k % len(PALETTE)]}"/><text x="{x + 14}" y="17">'
            f"{escape(name)}</text>"
        )
        x += 14 + 12 * len(name) + 16
    parts.append("</svg>")
    return "".join(parts)


def horizontal_bars(
    items: Sequence[tuple[str, float]], width: int = 640, unit: str = "", fmt: str = "{:.1%}"
) -> str:
    """One horizontal bar per (label, value), longest = largest value."""
    row_h, pad_l = 24, 120
    height = row_h * max(len(items), 1) + 10
    top = max([v for _l, v in items] + [1e-9])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">'
    ]
    for i, (label, value) in enumerate(items):
        y = 5 + i * row_h
        w = value / top * (width - pad_l - 80)
        parts.append(
            f'<text x="{pad_l - 6}" y="{y + 15}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{pad_l}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" '
            f'fill="{PALETTE[2]}"/><text x="{pad_l + w + 4:.1f}" y="{y + 15}" '
            f'fill="#333">{unit}{escape(fmt.format(value))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
