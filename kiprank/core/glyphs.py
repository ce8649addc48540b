"""Which characters the bundled fonts (``kiprank/fonts``: DejaVu for Latin, Noto for Arabic script,
Hebrew and Chinese/Japanese/Korean) cannot draw.

Typst's PDF/A-2b and PDF/UA-1 export refuses a document with a character that has no glyph in its
fonts (an emoji, a script none of them covers): :func:`undrawable` finds them beforehand, so the
report build can fall back to plain PDF 1.7 with a warning naming the text, and ``kiprank
validate`` can warn about the body names that hold them.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from .resources import FONTS_DIR as FONTS


def font_files() -> list:
    """The bundled font files (``.ttf`` and ``.otf``), by name."""
    return sorted([*FONTS.glob("*.ttf"), *FONTS.glob("*.otf")])


@lru_cache(maxsize=None)
def font_points(name: str) -> frozenset[int]:
    """Code points the bundled font file ``name`` has a glyph for."""
    from fontTools.ttLib import TTFont

    font = TTFont(FONTS / name, lazy=True)
    try:
        return frozenset(font.getBestCmap() or {})
    finally:
        font.close()


@lru_cache(maxsize=1)
def drawable() -> frozenset[int]:
    """Code points that at least one bundled font has a glyph for."""
    points: set[int] = set()
    for path in font_files():
        points.update(font_points(path.name))
    return frozenset(points)


def _ignorable(ch: str) -> bool:
    """Control and invisible format characters (joiners, direction marks, variation selectors):
    not drawn as glyphs."""
    return unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") or 0xFE00 <= ord(ch) <= 0xFE0F


@lru_cache(maxsize=1)
def _ascii_drawable() -> bool:
    """Whether the bundled fonts draw every printable ASCII character (the other ASCII characters
    are control characters, not drawn as glyphs)."""
    return all(p in drawable() for p in range(0x20, 0x7F))


def undrawable(text: str) -> str:
    """The characters of ``text`` that no bundled font can draw, each once, in order."""
    text = str(text)
    if text.isascii() and _ascii_drawable():  # most texts of a report: no character to look up
        return ""
    points = drawable()
    return "".join(ch for ch in dict.fromkeys(text) if ord(ch) not in points and not _ignorable(ch))


def describe(chars: str) -> str:
    """'U+1F600 GRINNING FACE, U+0627 ARABIC LETTER ALEF' (at most five, then '...')."""
    names = [f"U+{ord(c):04X} {unicodedata.name(c, '?')}" for c in chars[:5]]
    return ", ".join(names) + (", ..." if len(chars) > 5 else "")


def font_warnings(table, file: str = "bodies.csv") -> list[str]:
    """'bodies.csv row 4 (body_id x), column name: ...' for every text cell holding characters the
    bundled fonts cannot draw (the report's PDF is then written as PDF 1.7, not PDF/A-2b)."""
    out = []
    for i, row in enumerate(table.itertuples(index=False), start=2):
        record = row._asdict()
        for column, value in record.items():
            if not isinstance(value, str):
                continue
            chars = undrawable(value)
            if chars:
                out.append(f"{file} row {i} (body_id {record.get('body_id', '?')}), column {column}: "
                           f"'{value}' has characters the bundled fonts cannot draw ({describe(chars)}); they "
                           "print as empty boxes and the report's PDF is written as PDF 1.7, not PDF/A-2b with PDF/UA-1")
    return out


__all__ = ["font_files", "font_points", "drawable", "undrawable", "describe", "font_warnings"]
