"""Moved: the comparison report is :mod:`kiprank.report.comparison` (content),
:mod:`kiprank.report.comparison_charts` and :mod:`kiprank.report.comparison_build`; this name
is kept for callers."""

from .report.comparison import *  # noqa: F401,F403
from .report.comparison_build import build_comparison  # noqa: F401
