"""Small charts for the site, written directly as inline SVG (no plotting library: a site of
thousands of pages is drawn in well under a second, and the same data gives the same bytes).

Every chart is ``role="img"`` with a ``<title>`` and ``<desc>`` (its text alternative: the numbers
it shows, in words) and every text in it is escaped; user text is never markup. Colours of the
bands are the report's (:data:`kiprank.report.charts.BAND_PALETTE`).
"""

from __future__ import annotations

from functools import lru_cache
from html import escape

from ..report.charts import BAND_PALETTE, NOT_RETURNED_COLOR, TEXT_COLOR, band_colors

GRID = "#8a939e"


def _e(text) -> str:
    return escape(str(text), quote=True)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def _open(uid: str, width: int, height: int, title: str, desc: str, cls: str) -> list[str]:
    return [f'<svg class="chart {cls}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'role="img" aria-labelledby="{uid}-t {uid}-d" xmlns="http://www.w3.org/2000/svg">',
            f'<title id="{uid}-t">{_e(title)}</title>', f'<desc id="{uid}-d">{_e(desc)}</desc>']


def colours(bands) -> dict[str, str]:
    return _colours(tuple(bands))


@lru_cache(maxsize=256)
def _colours(bands: tuple[str, ...]) -> dict[str, str]:
    return band_colors(list(bands)) if bands else {}


@lru_cache(maxsize=1024)
def swatch(colour: str) -> str:
    """A small square of a band's colour, hidden from screen readers (the band's name follows it)."""
    return (f'<svg class="swatch" viewBox="0 0 12 12" width="12" height="12" aria-hidden="true" focusable="false">'
            f'<rect width="12" height="12" rx="2" fill="{_e(colour)}" stroke="#1f2933" stroke-width="0.5"/></svg>')


def score_bars(uid: str, rows: list[tuple[str, float | None, str, str]], bands: list[str], title: str,
               desc: str) -> str:
    """Horizontal bars of final scores (0-100), one per ``(label, score, band, score_text)``; a body
    without a score gets an empty row marked with its band."""
    colour = colours(bands)
    label_w, bar_w, row_h, top = 250, 320, 18, 8
    width = label_w + bar_w + 60
    height = top + row_h * len(rows) + 24
    out = _open(uid, width, height, title, desc, "bars")
    for tick in (0, 20, 40, 60, 80, 100):
        x = label_w + bar_w * tick / 100
        out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{height - 20}" stroke="#d0d4da" stroke-width="1"/>')
        out.append(f'<text x="{x:.1f}" y="{height - 6}" font-size="11" text-anchor="middle" fill="{TEXT_COLOR}">{tick}</text>')
    for i, (label, score, band, text) in enumerate(rows):
        y = top + i * row_h
        out.append(f'<text x="{label_w - 6}" y="{y + 13}" font-size="11" text-anchor="end" fill="{TEXT_COLOR}">'
                   f'{_e(_short(label, 30))}<title>{_e(label)}</title></text>')
        if score is None:
            out.append(f'<text x="{label_w + 4}" y="{y + 13}" font-size="11" fill="#4b5563">{_e(band)}</text>')
            continue
        w = max(bar_w * min(max(score, 0.0), 100.0) / 100, 0.5)
        fill = colour.get(band, NOT_RETURNED_COLOR)
        out.append(f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" fill="{fill}" '
                   f'stroke="#1f2933" stroke-width="0.5"/>')
        out.append(f'<text x="{label_w + w + 4:.1f}" y="{y + 13}" font-size="11" fill="{TEXT_COLOR}">{_e(text)}</text>')
    out.append("</svg>")
    return "".join(out)


def band_strip(uid: str, counts: list[tuple[str, int]], bands: list[str], title: str, desc: str) -> str:
    """One stacked bar of the number of bodies per band (the home page's band counts)."""
    colour = colours(bands)
    total = sum(n for _, n in counts) or 1
    width, height = 240, 16
    out = _open(uid, width, height, title, desc, "strip")
    x = 0.0
    for label, n in counts:
        if n <= 0:
            continue
        w = width * n / total
        out.append(f'<rect x="{x:.2f}" y="0" width="{w:.2f}" height="{height}" '
                   f'fill="{colour.get(label, NOT_RETURNED_COLOR)}" stroke="#ffffff" stroke-width="1"/>')
        x += w
    out.append("</svg>")
    return "".join(out)


def history_line(uid: str, points: list[tuple[int, float | None, str]], bands: list[str], title: str,
                 desc: str) -> str:
    """A body's final score per year: points joined by a line, each coloured by its band."""
    colour = colours(bands)
    width, height, left, right, top, bottom = 480, 200, 40, 20, 12, 28
    years = [p[0] for p in points]
    span = max(len(years) - 1, 1)
    out = _open(uid, width, height, title, desc, "line")
    plot_h = height - top - bottom

    def xy(i: int, score: float) -> tuple[float, float]:
        x = left + (width - left - right) * (i / span if len(years) > 1 else 0.5)
        return x, top + plot_h * (1 - min(max(score, 0.0), 100.0) / 100)

    for tick in (0, 25, 50, 75, 100):
        _, y = xy(0, tick)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#d0d4da" stroke-width="1"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" fill="{TEXT_COLOR}">{tick}</text>')
    coords = [(i, xy(i, s)) for i, (_, s, _) in enumerate(points) if s is not None]
    if len(coords) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for _, (x, y) in coords)
        out.append(f'<polyline points="{path}" fill="none" stroke="{GRID}" stroke-width="2"/>')
    for i, (year, score, band) in enumerate(points):
        x, _ = xy(i, 0)
        out.append(f'<text x="{x:.1f}" y="{height - 8}" font-size="11" text-anchor="middle" fill="{TEXT_COLOR}">{year}</text>')
        if score is not None:
            cx, cy = xy(i, score)
            out.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="5" fill="{colour.get(band, NOT_RETURNED_COLOR)}" '
                       f'stroke="#1f2933" stroke-width="1"/>')
    out.append("</svg>")
    return "".join(out)


__all__ = ["score_bars", "band_strip", "history_line", "colours", "BAND_PALETTE"]
