"""The pieces every report's content layer builds with (the ranking report, its robustness
section and the comparison report): numbered captions and figures, band chips, sections. One set,
so that a caption, a figure's alt text or a band's colour is decided the same way in every
document.

A document object (:class:`~kiprank.report.content.Report`,
:class:`~kiprank.report.comparison.CompareReport`) mixes in :class:`Numbering`: it holds its words
``t`` (with the keys ``table`` and ``figure``, e.g. "Tabel {n}") and a ``_counters`` dict.
"""

from __future__ import annotations

from . import blocks as B
from . import charts
from .section import Section


class Numbering:
    """'Tabel 3', 'Gambar 2': tables and figures numbered in the order the sections are displayed."""

    t: dict
    _counters: dict

    def next(self, kind: str) -> str:
        self._counters[kind] += 1
        return self.t[kind].format(n=self._counters[kind])


def caption(doc: Numbering, kind: str, title) -> dict:
    """The caption of the next table (``kind`` "table") or figure of ``doc``."""
    return B.caption(doc.next(kind), title)


def figure(doc: Numbering, svg: str, title, note=None, *, alt: str, cls: str = "", width: str | None = None) -> dict:
    """The next numbered figure of ``doc``; ``alt`` says what the chart shows in words (written
    from its data: what is plotted and the extremes), for readers who cannot see it."""
    return B.figure(doc.next("figure"), title, svg, note or None, width, cls, alt=alt)


def band_run(band_labels: list[str], band: str, returned: bool = True) -> dict:
    """A band's name after its colour chip (grey for a body that was not assessed)."""
    color = charts.band_colors(band_labels).get(band, charts.NOT_RETURNED_COLOR) if returned \
        else charts.NOT_RETURNED_COLOR
    return B.chip(color, band)


# The width of a page's text, in mm: A4 portrait and landscape with the reports' margins
# (kiprank/typst/kiprank.typ), and the least a column of names may get (about 25 characters).
PORTRAIT_MM = 172
LANDSCAPE_MM = 269
NAME_MIN_MM = 48


def orientation(fixed_mm: float, name_min_mm: float = NAME_MIN_MM) -> str | None:
    """Which page a table with fixed columns of ``fixed_mm`` in all and a name column of at least
    ``name_min_mm`` fits on: "portrait", "landscape", or None (its columns must be split)."""
    if fixed_mm + name_min_mm <= PORTRAIT_MM:
        return "portrait"
    if fixed_mm + name_min_mm <= LANDSCAPE_MM:
        return "landscape"
    return None


def section(number: int | None, title: str, anchor: str, blocks: list[dict], *, cls: str = "",
            newpage: bool = True, space: float = 0, landscape: bool = False) -> Section:
    """One section as a notebook cell displays it (HTML and data)."""
    return Section(B.section(number, title, anchor, blocks, cls=cls, newpage=newpage, space=space,
                             landscape=landscape))


__all__ = ["Numbering", "caption", "figure", "band_run", "section", "orientation", "PORTRAIT_MM", "LANDSCAPE_MM",
           "NAME_MIN_MM"]
