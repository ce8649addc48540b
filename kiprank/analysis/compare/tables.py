"""The published tables of a comparison: ``changes.csv`` and the stacked decompositions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ...core.export import write_table_csv
from ...core.scoring import ScoreResult
from .decomposition import DECOMPOSITION_COLUMNS
from .model import Comparison

CHANGES_COLUMNS = ["year_1", "year_2", "match", "body_id_1", "body_id_2", "name_1", "name_2", "group",
                   "rank_1", "rank_2", "rank_change", "final_1", "final_2", "final_change", "exact_change",
                   "rounding_residual", "band_1", "band_2", "band_change", "method_effect", "answers_effect",
                   "link", "note"]


def changes_table(comp: Comparison) -> pd.DataFrame:
    """``changes.csv``: for each pair of consecutive years, every body of either year with how it
    matched and, for one-to-one matches, its rank, score and band changes, the rounding residual
    and (when the method changed and the years are comparable) the method and answers effects.
    Columns: see ``CHANGES_COLUMNS``; ``rank_change`` is positive for a body that moved up."""
    frames = []
    for pair in comp.pairs:
        m = pair.matches.copy()
        ch = pair.changes.drop(columns=["match", "body_id_1", "body_id_2", "name", "name_1"])
        out = m.merge(ch, on="key", how="left")
        split = pair.split.table[["key", "method_effect", "answers_effect"]]
        out = out.merge(split, on="key", how="left")
        if pair.split.same_method:
            out[["method_effect", "answers_effect"]] = np.nan
        groups_1 = _group_labels(pair.before.result)
        groups_2 = _group_labels(pair.after.result)
        out["group"] = out["group_2"].fillna(out["group_1"]).fillna(out["body_id_2"].map(groups_2)) \
            .fillna(out["body_id_1"].map(groups_1))
        out.insert(0, "year_2", pair.after.year)
        out.insert(0, "year_1", pair.before.year)
        frames.append(out)
    table = pd.concat(frames, ignore_index=True)
    for col in ("rank_1", "rank_2", "rank_change", "band_change"):
        table[col] = table[col].astype("Float64").astype("Int64")
    return table[CHANGES_COLUMNS]


def _group_labels(result: ScoreResult) -> dict[str, str]:
    r = result.ranking
    return dict(zip(r["body_id"].astype(str), r["group_label"]))


def write_changes_csv(comp: Comparison, path: Path) -> Path:
    """Write :func:`changes_table` (scores at the methodology's precision, residuals unrounded)."""
    table = changes_table(comp)
    decimals = max(r.methodology.decimals for r in comp.runs)
    for col in ("final_1", "final_2", "final_change"):
        table[col] = table[col].map(lambda v: "" if pd.isna(v) else f"{v:.{decimals}f}")
    for col in ("exact_change", "rounding_residual", "method_effect", "answers_effect"):
        table[col] = table[col].map(lambda v: "" if pd.isna(v) else f"{v:.6f}")
    write_table_csv(table, path, numbers=("final_1", "final_2", "final_change", "exact_change", "rounding_residual",
                                          "method_effect", "answers_effect"))
    return path


def decomposition_table(comp: Comparison) -> pd.DataFrame:
    """All pairs' decompositions stacked, with ``year_1`` and ``year_2`` columns first."""
    frames = [p.decomposition.assign(year_1=p.before.year, year_2=p.after.year) for p in comp.pairs]
    table = pd.concat(frames, ignore_index=True)
    return table[["year_1", "year_2", *DECOMPOSITION_COLUMNS]]
