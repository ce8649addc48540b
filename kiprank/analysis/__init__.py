"""Analyses built on scored rankings; each returns pandas DataFrames with documented columns, never
markup. ``robustness``: how sure a rank and a band are (uncertainty and sensitivity analysis)."""

from .robustness import (RobustnessResult, analyse_robustness, indistinct_ranks, robustness_settings, uncertain_bands, write_robustness)

__all__ = [
    "RobustnessResult",
    "analyse_robustness",
    "indistinct_ranks",
    "robustness_settings",
    "uncertain_bands",
    "write_robustness",
]
