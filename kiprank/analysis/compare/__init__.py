"""Year-over-year comparison of a region's rankings: who rose or fell, and why.

Pure functions over scored years (:class:`~kiprank.core.scoring.ScoreResult`) that return DataFrames
with documented columns; the comparison report (:mod:`kiprank.report.comparison`,
``notebooks/year_comparison.ipynb``) only presents them. The modules: :mod:`.matching` (crosswalk,
which body is which), :mod:`.changes` (ranks, scores, bands), :mod:`.decomposition` (by stage and
indicator), :mod:`.methods` (methodology differences), :mod:`.rescoring` (method vs answers),
:mod:`.model` (the comparison's data), :mod:`.years` (loading and comparing years), :mod:`.trajectories` (bodies over the years, the focus
body), :mod:`.tables` (``changes.csv``), :mod:`.sentences` (the drivers sentence; its words and the
reasons' are in ``kiprank/words/compare.<lang>.yml``). This package's face holds the public names.

Identity across years
    Bodies are matched by ``body_id``. An optional crosswalk, ``<inputs_root>/crosswalk.csv``
    (columns ``old_id,new_id,note``), records renamed ids and merges or splits. A crosswalk row
    applies to two consecutive years when ``old_id`` is a body of the earlier year and ``new_id``
    one of the later year. Bodies (old and new) linked by crosswalk rows or by an unchanged id form
    a group: one old and one new body is a match (``same`` id or ``renamed``); several old bodies
    and one new body a ``merged`` group; one old and several new a ``split``; several of each
    ``restructured``. Merged, split and restructured bodies are listed as such and are not
    compared one to one. Bodies of only one year are listed as ``entered`` or ``left``: nothing
    is silently dropped.

Decomposition
    The change of a body's final score is broken down by stage and indicator (checklist items
    and score stages count as indicators, as in ``ScoreResult.indicators``). Each indicator's
    contribution (points of the unrounded final score) is compared between the years; the changes
    add up exactly (to floating-point precision) to the change of the unrounded final score. The
    published finals are rounded, so the published change differs from the exact change by a
    rounding residual, reported separately (``rounding_residual``).

Methodology changes
    :func:`methodology_differences` lists what differs between two methodologies. When the years
    use methods that score differently, :func:`method_vs_answers` re-scores the earlier year's
    inputs under the later method (:func:`rescore_inputs`) and splits each change into a method
    effect (score(inputs 1, method 2) - score(inputs 1, method 1)) and an answers effect
    (score(inputs 2, method 2) - score(inputs 1, method 2)). Where the earlier inputs cannot be
    scored under the later method (new questions, a stage without data, answers the later method
    does not allow) the years are reported as not strictly comparable, with the reasons.
"""

from ...core.methodology import short_stage_label
from .changes import band_state, band_transitions, movement_counts, rank_changes, unrounded_finals
from .decomposition import DECOMPOSITION_COLUMNS, decompose, stage_change_table, stage_changes
from .matching import (CROSSWALK_COLUMNS, CROSSWALK_FILE, ENTERED, LEFT, MATCH_ORDER, MERGED, ONE_TO_ONE, RENAMED,
                       RESTRUCTURED, SAME, SPLIT, crosswalk_warnings, empty_crosswalk, load_crosswalk, match_bodies,
                       one_to_one, read_crosswalk, same_id_matches)
from .methods import DIFFERENCE_COLUMNS, methodology_differences, same_scoring
from .rescoring import (SPLIT_COLUMNS, MethodSplit, NotComparableError, method_vs_answers, reason_text, rescore_inputs,
                        rescore_issues, rescore_problems)
from .sentences import drivers_sentence, signed
from .tables import CHANGES_COLUMNS, changes_table, decomposition_table, write_changes_csv
from .trajectories import TRAJECTORY_COLUMNS, find_body, focus_key, pair_key, trajectories, trajectory_table
from .model import Comparison, PairComparison, YearRun
from .years import check_years, compare_pair, compare_runs, comparison_date, load_comparison, load_years

__all__ = [
    "comparison_date", "YearRun", "PairComparison", "Comparison", "MethodSplit", "NotComparableError",
    "check_years", "load_years", "read_crosswalk", "crosswalk_warnings", "load_crosswalk", "empty_crosswalk",
    "match_bodies", "one_to_one", "same_id_matches", "unrounded_finals", "band_state", "rank_changes",
    "band_transitions", "movement_counts", "decompose", "stage_changes", "stage_change_table", "drivers_sentence",
    "short_stage_label", "signed", "methodology_differences", "same_scoring", "rescore_issues", "rescore_problems",
    "reason_text", "rescore_inputs", "method_vs_answers", "compare_pair", "compare_runs", "load_comparison",
    "trajectories", "trajectory_table", "find_body", "focus_key", "pair_key", "changes_table", "write_changes_csv",
    "decomposition_table", "CROSSWALK_FILE", "CROSSWALK_COLUMNS", "SAME", "RENAMED", "MERGED", "SPLIT",
    "RESTRUCTURED", "ENTERED", "LEFT", "ONE_TO_ONE", "MATCH_ORDER", "DECOMPOSITION_COLUMNS", "DIFFERENCE_COLUMNS",
    "SPLIT_COLUMNS", "TRAJECTORY_COLUMNS", "CHANGES_COLUMNS",
]
