"""The published reports: ranking report, year-over-year comparison, corrections list.

Layout (each file one part):

- :mod:`~kiprank.report.content`: the ranking report's content layer (numbers formatted,
  sentences composed, tables, chart data, score sheets), one function per section;
- :mod:`~kiprank.report.blocks`: the content blocks both renderers read, and :class:`Section`,
  what a notebook cell displays (HTML + data);
- :mod:`~kiprank.report.html`: the HTML rendering (``section_html``);
- :mod:`~kiprank.report.pdf`: the Typst rendering (the PDF typeset from an executed notebook's
  section data; templates in ``kiprank/typst/``), PDF standard choice, glyph check;
- :mod:`~kiprank.report.charts`: matplotlib charts as SVG;
- :mod:`~kiprank.report.words`: the words (``kiprank/words/report.*.yml``, ``compare.*.yml``);
- :mod:`~kiprank.runs.report`: ``kiprank report`` (papermill -> nbconvert HTML -> Typst PDF);
- :mod:`~kiprank.report.comparison`, :mod:`~kiprank.report.comparison_charts`,
  :mod:`~kiprank.runs.comparison`: the same parts of the comparison report;
- :mod:`~kiprank.report.corrections`, :mod:`~kiprank.runs.corrections`: the corrections list's
  content and HTML, and its publication as CSV, HTML and PDF (``kiprank diff``).

``from kiprank import report`` gives the ranking report's content API (``report.prepare``,
``report.summary(rep)``, ...), as the notebook uses it.
"""

from __future__ import annotations

from .content import *  # noqa: F401,F403
from .content import Report
from .content import __all__ as _content_all
from .section import Section  # noqa: F401


__all__ = [*_content_all, "Section"]
