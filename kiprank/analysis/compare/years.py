"""Loading and scoring the years of a region and comparing them, pair by pair (:func:`load_comparison`)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from ...core.errors import UsageError
from ...core.inputs import load_region
from ...core.scoring import score
from .changes import band_transitions, rank_changes
from .decomposition import decompose
from .matching import empty_crosswalk, load_crosswalk, match_bodies
from .methods import methodology_differences
from .model import Comparison, PairComparison, YearRun
from .rescoring import method_vs_answers
from .trajectories import trajectories

def check_years(years) -> list[int]:
    """Distinct years in increasing order; at least two are needed."""
    try:
        out = sorted({int(y) for y in years})
    except (TypeError, ValueError) as exc:
        raise UsageError(f"years must be numbers like 2018 2019 (got {list(years)})") from exc
    if len(out) < 2:
        raise UsageError(f"a comparison needs at least two different years (got {', '.join(map(str, out)) or 'none'})")
    return out


def load_years(region: str, years, inputs_root: Path | str = "inputs") -> list[YearRun]:
    """Validate and score ``<inputs_root>/<year>/<region>`` for each year (oldest first)."""
    runs = []
    for year in check_years(years):
        inputs = load_region(year, region, inputs_root)
        runs.append(YearRun(year, inputs, score(inputs)))
    return runs


def compare_pair(before: YearRun, after: YearRun, crosswalk: pd.DataFrame | None = None) -> PairComparison:
    """Everything compared between two years."""
    r1, r2 = before.result, after.result
    matches = match_bodies(r1.ranking, r2.ranking, crosswalk)
    changes = rank_changes(r1, r2, matches)
    return PairComparison(
        before=before, after=after, matches=matches, changes=changes,
        transitions=band_transitions(changes, r1.methodology, r2.methodology),
        decomposition=decompose(r1, r2, matches),
        differences=methodology_differences(r1.methodology, r2.methodology),
        split=method_vs_answers(before.inputs, r1, r2, matches),
    )


def compare_runs(runs: list[YearRun], crosswalk: pd.DataFrame | None = None, region_id: str | None = None) -> Comparison:
    """Compare consecutive scored years (oldest first)."""
    if len(runs) < 2:
        raise UsageError("a comparison needs at least two years")
    runs = sorted(runs, key=lambda r: r.year)
    cw = empty_crosswalk() if crosswalk is None else crosswalk
    pairs = [compare_pair(a, b, cw) for a, b in zip(runs, runs[1:])]
    comp = Comparison(region_id=region_id or runs[-1].inputs.region_id, runs=runs, crosswalk=cw, pairs=pairs)
    comp.trajectories = trajectories(comp)
    return comp


def load_comparison(region: str, years, inputs_root: Path | str = "inputs") -> Comparison:
    """Load, score and compare a region over ``years`` with ``<inputs_root>/crosswalk.csv`` if present."""
    runs = load_years(region, years, inputs_root)
    return compare_runs(runs, load_crosswalk(inputs_root), region)


def comparison_date(comp: Comparison, report_date: str | date | None = None) -> date:
    """The date of a comparison report: ``report_date`` when given (``--date``), else the latest
    report date of the years compared (``report_date`` in their region.yml), else the UTC date of
    ``SOURCE_DATE_EPOCH``; never the clock, so the same inputs give the same report.
    :class:`~kiprank.core.errors.UsageError` when none of them is known."""
    from ...core.formatting import resolve_report_date, source_date_epoch

    if report_date:
        return resolve_report_date(report_date)
    days = [r.inputs.config.report_date for r in comp.runs if r.inputs.config.report_date]
    if days:
        return max(resolve_report_date(d) for d in days)
    if source_date_epoch() is not None:
        return resolve_report_date(None)
    years = ", ".join(str(r.year) for r in comp.runs)
    raise UsageError(f"the comparison needs a date: none of the years compared ({years}) has a report_date in its "
                     "region.yml; give one there or use --date YYYY-MM-DD")
